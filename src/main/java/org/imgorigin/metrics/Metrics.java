package org.imgorigin.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * imgorigin's meters, Prometheus names prefixed {@code imgorigin_}, plus the JVM's. Tags are
 * few and bounded (status, cache tier, format), never an id or a URL.
 */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer fetch;
    private final DistributionSummary originalBytes;
    private final Timer eventLoopLag;

    public Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        fetch = Timer.builder("imgorigin.fetch.duration")
                .description("time to fetch an original from the store")
                .publishPercentileHistogram()
                .register(registry);
        eventLoopLag = Timer.builder("imgorigin.eventloop.lag").description("event loop scheduling delay")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        originalBytes = DistributionSummary.builder("imgorigin.original.bytes")
                .description("size of originals fetched from the store")
                .baseUnit("bytes")
                .register(registry);
    }

    /** One image request answered: by status, cache tier ({@code MISS}, {@code HIT-MEMORY}, …, or {@code none}) and format. */
    public void request(int status, String cache, String format, long nanos, long bytesServed) {
        // Meters are looked up in our own maps: building tags and asking the registry on every
        // request was a measurable share of a cache hit's CPU. The keys are few and bounded.
        requests.computeIfAbsent(status + "|" + cache + "|" + format, k -> Counter.builder("imgorigin.requests")
                .description("image requests")
                .tag("status", Integer.toString(status)).tag("cache", cache).tag("format", format)
                .register(registry)).increment();
        latency.computeIfAbsent(cache, k -> Timer.builder("imgorigin.request.duration")
                .description("image request latency").tag("cache", cache)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (bytesServed > 0) {
            served.computeIfAbsent(format, k -> Counter.builder("imgorigin.served.bytes")
                    .description("bytes of image bodies served").baseUnit("bytes").tag("format", format)
                    .register(registry)).increment(bytesServed);
        }
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Counter> requests =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> latency =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Counter> served =
            new java.util.concurrent.ConcurrentHashMap<>();

    public void fetched(long nanos, long bytes) {
        fetch.record(Duration.ofNanos(nanos));
        originalBytes.record(bytes);
    }

    /** One render finished ({@code ok}) or refused ({@code failed}), with its duration. */
    public void rendered(String format, String outcome, long nanos) {
        Timer.builder("imgorigin.render.duration").description("time to decode, transform and encode a variant")
                .tag("format", format).tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    /** One upload answered: {@code created}, {@code existing}, {@code refused-<status>} or {@code failed}. */
    public void uploaded(String outcome, long bytes) {
        Counter.builder("imgorigin.uploads").description("uploads by outcome").tag("outcome", outcome)
                .register(registry).increment();
        if (bytes > 0) {
            Counter.builder("imgorigin.uploaded.bytes").description("bytes of uploads accepted").baseUnit("bytes")
                    .register(registry).increment(bytes);
        }
    }

    /** One eager variant rendered after an upload ({@code ok}) or not ({@code failed}). */
    public void eager(String outcome) {
        Counter.builder("imgorigin.eager.renders").description("variants rendered right after an upload")
                .tag("outcome", outcome).register(registry).increment();
    }

    /**
     * One upload's eager set handed to the node that owns its id, through the balancer
     * ({@code IMGORIGIN_EAGER_VIA}): {@code accepted} (2xx), {@code refused} (another answer)
     * or {@code failed} (no answer: connection refused, time-out); after the last two this node
     * rendered the set itself.
     */
    public void eagerHandoff(String outcome) {
        Counter.builder("imgorigin.eager.handoff").description("eager sets handed to the id's node after an upload")
                .tag("outcome", outcome).register(registry).increment();
    }

    /**
     * One decode of an original shared by {@code variants} requests for its variants that waited
     * for a worker together ({@code Bursts}).
     */
    public void burstDecode(long variants) {
        Counter.builder("imgorigin.burst.decodes").description("decodes of an original shared by a burst of its variants")
                .register(registry).increment();
        Counter.builder("imgorigin.burst.renders").description("variants rendered from a decode a burst shared")
                .register(registry).increment(variants);
    }

    /** One decode of an upload's original shared by several of its eager variants ({@code Renderer#renderMany}). */
    public void eagerDecode() {
        Counter.builder("imgorigin.eager.decodes").description("decodes of an upload shared by its eager variants")
                .register(registry).increment();
    }

    /**
     * A mezzanine of a large original: {@code made} from the original, {@code shared} (a
     * render waited for one being made), {@code timed_out} (it gave up waiting, at the end of
     * its time limit), {@code used} (a variant's pixels came from it), {@code failed} (it could
     * not be made: not tried again for a while), {@code rejected} (a file on disk cut short,
     * corrupt or unreadable: made again).
     */
    public void mezzanine(String outcome) {
        Counter.builder("imgorigin.mezzanine").description("mezzanines of large originals, by outcome")
                .tag("outcome", outcome).register(registry).increment();
    }

    /** A read of the store's journal of deletes, and how many deletes through other nodes it applied. */
    public void journalRead(String outcome, int applied) {
        Counter.builder("imgorigin.journal.reads").description("reads of the store's journal of deletes, by outcome")
                .tag("outcome", outcome).register(registry).increment();
        Counter.builder("imgorigin.journal.deletes").description("deletes through other nodes applied here")
                .register(registry).increment(applied);
    }

    /** A render came out heavier than its original, which was served instead. */
    public void heavierAvoided(long bytesSaved) {
        Counter.builder("imgorigin.heavier.avoided").description("renders replaced by their lighter original")
                .register(registry).increment();
        Counter.builder("imgorigin.heavier.avoided.bytes").description("bytes saved by serving originals instead")
                .baseUnit("bytes").register(registry).increment(bytesSaved);
    }

    public void cacheWriteFailed() {
        Counter.builder("imgorigin.cache.write.failures").description("variants that could not be written to disk")
                .register(registry).increment();
    }

    /** Cached variants purged (by the admin endpoints). */
    public void purged(int files) {
        Counter.builder("imgorigin.cache.purged").description("cached variant files purged")
                .register(registry).increment(files);
    }

    /** Size of the cache tiers, read when scraped. */
    public void cacheGauges(Supplier<Number> diskBytes, Supplier<Number> diskFiles, Supplier<Number> memoryBytes) {
        Gauge.builder("imgorigin.cache.disk.bytes", diskBytes).baseUnit("bytes").register(registry);
        Gauge.builder("imgorigin.cache.disk.files", diskFiles).register(registry);
        Gauge.builder("imgorigin.cache.memory.bytes", memoryBytes).baseUnit("bytes").register(registry);
    }

    /** Bytes of originals held in memory for renders (bounded by a quarter of the heap). */
    public void originalsGauge(Supplier<Number> bytes) {
        Gauge.builder("imgorigin.originals.memory.bytes", bytes).baseUnit("bytes")
                .description("originals held in memory for renders").register(registry);
    }

    /** Bytes of the mezzanines held decoded: their pixels (native) and JPEGs (heap), under IMGORIGIN_MEZZANINE_MEMORY_BYTES. */
    public void mezzanineMemoryGauge(Supplier<Number> bytes) {
        Gauge.builder("imgorigin.mezzanine.memory.bytes", bytes).baseUnit("bytes")
                .description("mezzanines held decoded in memory: pixels and JPEGs").register(registry);
    }

    /** 1 while the disk cache takes writes, 0 while they fail (disk full, read-only): alert on it. */
    public void cacheWritableGauge(java.util.function.BooleanSupplier writable) {
        Gauge.builder("imgorigin.cache.disk.writable", () -> writable.getAsBoolean() ? 1 : 0)
                .description("whether the disk cache takes writes").register(registry);
    }

    private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean connectionGauge;

    /** An HTTP connection opened ({@code +1}) or closed ({@code -1}), on any event loop. */
    public void connection(int delta) {
        if (!connectionGauge) {
            synchronized (this) {
                if (!connectionGauge) {
                    Gauge.builder("imgorigin.http.connections", connections, java.util.concurrent.atomic.AtomicInteger::get)
                            .description("open HTTP connections").register(registry);
                    connectionGauge = true;
                }
            }
        }
        connections.addAndGet(delta);
    }

    /** A connection closed at once because {@code IMGORIGIN_MAX_CONNECTIONS} were already open. */
    public void connectionRefused() {
        Counter.builder("imgorigin.http.connections.refused")
                .description("connections closed at once because the connection cap was reached")
                .register(registry).increment();
    }

    /** A connection closed because a request head took too long or a kept-alive connection idled out. */
    public void connectionTimedOut(String phase) {
        Counter.builder("imgorigin.http.connections.timed.out")
                .description("connections closed by the header deadline or the keep-alive timeout")
                .tag("phase", phase).register(registry).increment();
    }

    /**
     * How late an event loop ran a timer: the time a request waits before its handler runs.
     * It should stay near zero; blocking work on an event loop shows here first.
     */
    public void eventLoopLag(long nanos) {
        eventLoopLag.record(Duration.ofNanos(Math.max(0, nanos)));
    }

    /** Renders running and waiting, and libvips' own memory, read when scraped. */
    public void renderGauges(Supplier<Number> running, Supplier<Number> queued, Supplier<Number> nativeBytes) {
        Gauge.builder("imgorigin.renders.running", running).description("renders in progress").register(registry);
        Gauge.builder("imgorigin.renders.queued", queued).description("renders waiting for a worker").register(registry);
        Gauge.builder("imgorigin.vips.memory", nativeBytes).description("pixel memory held by libvips")
                .baseUnit("bytes").register(registry);
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    /** The count of renders so far (all formats and outcomes), for tests and the status page. */
    public long renders() {
        return (long) registry.find("imgorigin.render.duration").timers().stream().mapToLong(Timer::count).sum();
    }
}
