package org.imgorigin.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What is asked for, by which devices, and how many bytes were saved: counters with bounded
 * keys (formats, tiers, device classes, DPRs), byte totals, and a {@link TopK} sketch of the
 * most requested images, so millions of ids cost kilobytes. Every request is also one JSON
 * line in the {@link AccessLog}, for a log pipeline.
 */
public final class Analytics {
    private final java.util.Optional<AccessLog> accessLog;

    /** {@code accessLog}: where request lines go; empty to keep none. */
    public Analytics(java.util.Optional<AccessLog> accessLog) {
        this.accessLog = accessLog;
    }

    private static final int TOP_CAPACITY = 512;

    private final Map<String, LongAdder> byFormat = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byCache = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byDevice = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byDpr = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byStatus = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();
    private final LongAdder hits = new LongAdder();
    private final LongAdder sentBytes = new LongAdder();
    private final LongAdder servedBytes = new LongAdder();
    private final LongAdder originalBytes = new LongAdder();
    private final TopK top = new TopK(TOP_CAPACITY);

    public void record(RequestRecord r) {
        requests.increment();
        count(byStatus, Integer.toString(r.status()));
        count(byCache, r.cache());
        count(byDevice, r.device().code());
        if (r.status() == 200 || r.status() == 304) {
            count(byFormat, r.format());
            count(byDpr, r.dpr());
            if (r.cache().startsWith("HIT") || r.status() == 304) {
                hits.increment();
            }
            // Every body sent. The comparison below needs the original's size, which a node
            // knows only once it has read that original's header since it started: a disk hit
            // on a restarted node (which must not touch the store for it) is sent, not compared.
            sentBytes.add(r.bytes());
            if (r.originalBytes() > 0) {
                // Bytes saved is measured on the bodies actually sent against their originals.
                servedBytes.add(r.bytes());
                originalBytes.add(r.originalBytes());
            }
            if (!r.id().isEmpty()) {
                top.add(r.id());
            }
        }
        accessLog.ifPresent(log -> log.write(r));
    }

    /** DPR keys: every value is one of these, whatever a URL asks, so the counters stay a handful. */
    private static final String[] DPR_BUCKETS = {"1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"};

    /**
     * The analytics key of a device pixel ratio: rounded to the nearest half between 1 and 4,
     * {@code "auto"} for {@code dpr_auto} (a negative value), {@code "other"} for anything
     * else. A URL chooses the value, so an exact key per value would let 100,000 distinct
     * {@code dpr_1.xxxxx} grow the counters without bound.
     */
    public static String dprBucket(double dpr) {
        if (dpr < 0) {
            return "auto";
        }
        if (!(dpr >= 0.75 && dpr <= 4.25)) {
            return "other";
        }
        int half = (int) Math.round(Math.min(4, Math.max(1, dpr)) * 2) - 2;
        return DPR_BUCKETS[half];
    }

    private static void count(Map<String, LongAdder> map, String key) {
        map.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    /** The {@code GET /analytics} document. */
    public JsonObject snapshot(int topN) {
        long total = byFormat.values().stream().mapToLong(LongAdder::sum).sum();
        long served = servedBytes.sum();
        long originals = originalBytes.sum();
        JsonArray topImages = new JsonArray();
        top.top(topN).forEach(e -> topImages.add(new JsonObject().put("id", e.key()).put("requests", e.count())
                .put("maxOvercount", e.error())));
        return new JsonObject()
                .put("requests", requests.sum())
                .put("byStatus", json(byStatus))
                .put("byFormat", json(byFormat))
                .put("byCache", json(byCache))
                .put("byDevice", json(byDevice))
                .put("byDpr", json(byDpr))
                .put("hitRatio", total == 0 ? 0.0 : (double) hits.sum() / total)
                .put("bytes", new JsonObject()
                        .put("sent", sentBytes.sum())
                        .put("served", served)
                        .put("originals", originals)
                        .put("saved", originals - served)
                        .put("savedRatio", originals == 0 ? 0.0 : 1.0 - (double) served / originals))
                .put("topImages", topImages);
    }

    private static JsonObject json(Map<String, LongAdder> map) {
        JsonObject o = new JsonObject();
        map.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> o.put(e.getKey(), e.getValue().sum()));
        return o;
    }
}
