package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.channels.FileChannel;
import java.util.Optional;
import org.imgorigin.cache.Hit;
import org.imgorigin.cache.VariantKey;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Analytics;
import org.imgorigin.metrics.DeviceClass;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.metrics.RequestRecord;
import org.imgorigin.url.Transformation;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.url.ImagePath;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Signer;
import org.imgorigin.url.TransformationPrinter;

/**
 * {@code GET|HEAD /[s--sig--/][transformation/]<id>[.ext]}, one way through:
 * parse → authorise → negotiate → cache → store → render → respond.
 *
 * <p>Parsing, negotiation and cache lookups run on the event loop (an index lookup each);
 * the store is read on a virtual thread; renders run on the bounded {@link RenderPool}.
 * Concurrent misses for one variant share one fetch and one render; a failed render is not
 * cached. Behind nginx ({@code IMGORIGIN_ACCEL_PREFIX}), a disk hit is a few headers and an
 * {@code X-Accel-Redirect}: nginx sends the file.
 */
final class ImageHandler implements Handler<RoutingContext> {
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String ACCEPT_CH = "Sec-CH-DPR, Sec-CH-Width";

    // Header names and fixed values, encoded once: Netty copies them into the response as
    // bytes instead of validating and encoding each String on every hit.
    private static final CharSequence ETAG = HttpHeaders.createOptimized("ETag");
    private static final CharSequence CACHE_CONTROL = HttpHeaders.createOptimized("Cache-Control");
    private static final CharSequence SURROGATE_KEY = HttpHeaders.createOptimized("Surrogate-Key");
    private static final CharSequence ACCEPT_CH_NAME = HttpHeaders.createOptimized("Accept-CH");
    private static final CharSequence VARY = HttpHeaders.createOptimized("Vary");
    private static final CharSequence X_CACHE = HttpHeaders.createOptimized("X-Cache");
    private static final CharSequence X_ACCEL_REDIRECT = HttpHeaders.createOptimized("X-Accel-Redirect");
    /** From nginx's fallback location: the file of the last X-Accel-Redirect could not be opened. */
    private static final CharSequence X_IMGORIGIN_MISSING = HttpHeaders.createOptimized("X-Imgorigin-Missing");
    private static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
    private static final CharSequence CONTENT_LENGTH = HttpHeaders.createOptimized("Content-Length");
    private static final CharSequence IF_NONE_MATCH = HttpHeaders.createOptimized("If-None-Match");
    private static final CharSequence USER_AGENT = HttpHeaders.createOptimized("User-Agent");
    private static final CharSequence SEC_CH_UA_MOBILE = HttpHeaders.createOptimized("Sec-CH-UA-Mobile");
    private static final CharSequence IMMUTABLE_VALUE = HttpHeaders.createOptimized(IMMUTABLE);
    /** How long a default image ({@code d_}) may stand in for a missing one: as long as a 404 is cached. */
    private static final CharSequence STAND_IN_VALUE = HttpHeaders.createOptimized(Failures.BRIEFLY);
    private static final CharSequence ACCEPT_CH_VALUE = HttpHeaders.createOptimized(ACCEPT_CH);

    private final Presets presets;
    private final Optional<Signer> signer;
    private final Variants variants;
    private final Negotiator negotiator;
    private final Metrics metrics;
    private final Analytics analytics;
    private final Optional<String> accelPrefix;
    private final Blocking blocking;
    private final Cors cors;
    private final com.github.benmanes.caffeine.cache.Cache<String, ImagePath> parsed =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(50_000).build();

    ImageHandler(Presets presets, Optional<Signer> signer, Variants variants, Negotiator negotiator, Metrics metrics,
            Analytics analytics, Optional<String> accelPrefix, Blocking blocking, Cors cors) {
        this.cors = cors;
        this.presets = presets;
        this.signer = signer;
        this.variants = variants;
        this.negotiator = negotiator;
        this.metrics = metrics;
        this.analytics = analytics;
        this.accelPrefix = accelPrefix;
        this.blocking = blocking;
    }

    /**
     * What the access log and analytics learn about one request as it is answered. A field
     * each rather than routing-context entries: a hash-map entry per fact was a visible share
     * of a hit's CPU.
     */
    private static final class Exchange {
        ImageId id; // null when the URL did not parse
        String format = "none";
        String variant = "";
        String dpr = "none";
        String cache = "none";
        long bytes = -1; // -1: what the response wrote
        /** Set when {@code d_}'s default image answers for a missing {@link #id}. */
        ImageId standIn;
    }

    @Override
    public void handle(RoutingContext ctx) {
        long start = System.nanoTime();
        Exchange exchange = new Exchange();
        ctx.addEndHandler(done -> record(ctx, exchange, System.nanoTime() - start));
        // First, so that every answer to an image path carries them, errors included.
        cors.image(ctx.request(), ctx.response());
        ImagePath path = parse(ctx.request().path());
        exchange.id = path.id();
        ctx.put("id", path.id()); // for the failure handler's Surrogate-Key
        if (signer.isPresent() && !signer.get().verify(path)) {
            throw new HttpError(403, path.signature().isEmpty() ? "this server only serves signed URLs"
                    : "invalid signature");
        }
        Context context = ctx.vertx().getOrCreateContext();
        Future<Void> answer = serve(ctx, exchange, context, path);
        Optional<ImageId> standIn = path.transformation().defaultImage();
        if (standIn.isPresent()) {
            // d_<id>: a missing image is answered by the default one, rendered the same way.
            ImagePath fallback = new ImagePath(path.signature(), path.signedPart(),
                    path.transformation().withoutDefaultImage(), standIn.get(), path.extension(), path.marked());
            answer = answer.recover(failure -> {
                // Not when nginx asks again for a file it could not open: it would keep the first
                // answer's Cache-Control (immutable) for the stand-in.
                if (!(failure instanceof HttpError e && e.status() == 404 && !e.aboutLayer()) || ctx.response().headWritten()
                        || standIn.get().equals(path.id()) || ctx.request().headers().contains(X_IMGORIGIN_MISSING)) {
                    return Future.failedFuture(failure);
                }
                exchange.standIn = standIn.get();
                return serve(ctx, exchange, context, fallback).recover(second -> {
                    exchange.standIn = null;
                    return Future.failedFuture(second instanceof HttpError again && again.status() == 404
                            ? HttpError.notFound("no image with id " + path.id() + ", nor the default image "
                                    + standIn.get() + " (d_)")
                            : second);
                });
            });
        }
        answer.onFailure(ctx::fail);
    }

    private Future<Void> serve(RoutingContext ctx, Exchange exchange, Context context, ImagePath path) {
        // Deleted through this node: whatever copy may survive somewhere is not served.
        if (variants.invalidation().deleted(path.id())) {
            return Future.failedFuture(HttpError.notFound("no image with id " + path.id()));
        }
        Optional<SourceInfo> known = variants.known(path.id());
        Future<Optional<SourceInfo>> info = known.isPresent() || !negotiator.needsSource(path, ctx.request().headers())
                ? Future.succeededFuture(known)
                : variants.inspect(context, path.id()).map(Optional::of);
        return info.compose(i -> respond(ctx, exchange, context, path,
                marked(path, negotiator.negotiate(path, i, ctx.request().headers()))));
    }

    /** The configured watermark, drawn once the request's auto forms are resolved. */
    private Negotiated marked(ImagePath path, Negotiated negotiated) {
        return path.marked()
                ? new Negotiated(presets.mark(negotiated.transformation()), negotiated.output(), negotiated.vary())
                : negotiated;
    }

    private Future<Void> respond(RoutingContext ctx, Exchange exchange, Context context, ImagePath path,
            Negotiated negotiated) {
        // d_ chooses what answers when the image is missing, not its pixels: one variant either way.
        VariantKey key = new VariantKey(path.id(),
                TransformationPrinter.print(negotiated.transformation().withoutDefaultImage()), negotiated.output());
        exchange.format = key.format().extension();
        exchange.variant = key.fileName();
        exchange.dpr = Analytics.dprBucket(negotiated.transformation().dpr()
                .map(d -> d instanceof Transformation.Dpr.Fixed f ? f.value() : -1.0).orElse(1.0));
        // Behind nginx a disk hit is not checked on disk; when nginx could not open the file,
        // it asks again with X-Imgorigin-Missing, and the answer is then never a redirect:
        // a file nginx cannot read would otherwise bounce between the two.
        boolean missing = accelPrefix.isPresent() && ctx.request().headers().contains(X_IMGORIGIN_MISSING);
        Optional<Hit> hit = variants.cache().lookup(key, false);
        // Ids are content hashes: an ETag the client holds is still the variant's bytes, as long
        // as the image exists. A cached variant or a known header says it does; else the store.
        if (matches(ctx.request().getHeader(IF_NONE_MATCH), key.etag())) {
            // A layer deleted here is gone from what drew it, as the image itself would be.
            for (ImageId layer : negotiated.transformation().layerImages()) {
                if (variants.invalidation().deleted(layer)) {
                    return Future.failedFuture(HttpError.missingLayer(layer));
                }
            }
            Future<Boolean> exists = hit.isPresent() || variants.known(path.id()).isPresent()
                    ? Future.succeededFuture(true) : variants.exists(context, path.id());
            return exists.compose(yes -> {
                if (!yes) {
                    return Future.failedFuture(HttpError.notFound("no image with id " + path.id()));
                }
                exchange.cache = "NOT-MODIFIED";
                HttpServerResponse response = ctx.response().setStatusCode(304);
                headers(response, exchange, negotiated, key);
                return response.end();
            });
        }
        if (missing && hit.isPresent() && hit.get() instanceof Hit.Disk) {
            // nginx found no file where the index points: check, off the event loop (a file
            // gone is forgotten, and the memory tier may still bridge the render).
            return blocking.run(context, () -> variants.cache().lookup(key, true))
                    .compose(verified -> verified.isPresent()
                            ? sendHit(ctx, exchange, path, negotiated, key, verified.get(), false)
                            : miss(ctx, exchange, context, path, negotiated, key));
        }
        if (hit.isPresent()) {
            return sendHit(ctx, exchange, path, negotiated, key, hit.get(), !missing);
        }
        return miss(ctx, exchange, context, path, negotiated, key);
    }

    private Future<Void> miss(RoutingContext ctx, Exchange exchange, Context context, ImagePath path,
            Negotiated negotiated, VariantKey key) {
        exchange.cache = "MISS";
        return variants.produce(context, key, negotiated.transformation())
                .compose(bytes -> send(ctx, exchange, path, negotiated, key, "MISS", bytes));
    }

    private Future<Void> sendHit(RoutingContext ctx, Exchange exchange, ImagePath path, Negotiated negotiated,
            VariantKey key, Hit hit, boolean redirect) {
        exchange.cache = hit.tier();
        return switch (hit) {
            case Hit.Memory m -> send(ctx, exchange, path, negotiated, key, hit.tier(), m.bytes());
            case Hit.Disk d when redirect && accelPrefix.isPresent() -> {
                // nginx serves the file: the JVM writes only headers.
                HttpServerResponse response = ctx.response().setStatusCode(200);
                entityHeaders(response, exchange, path, negotiated, key, hit.tier());
                // nginx percent-decodes the URI it is given: a file name with a '%' (a text
                // layer's escaped text) is written with it escaped.
                String file = d.relativePath();
                response.putHeader(X_ACCEL_REDIRECT, accelPrefix.get()
                        + (file.indexOf('%') < 0 ? file : file.replace("%", "%25")));
                exchange.bytes = d.size(); // nginx sends them
                yield response.end();
            }
            case Hit.Disk d -> {
                // Opened off the event loop (open(2) may wait on the disk). A file gone behind
                // the index is forgotten there and rendered again; one that cannot be opened
                // for another reason (out of descriptors, permissions) is kept, and this
                // request is rendered.
                Context context = ctx.vertx().getOrCreateContext();
                yield blocking.run(context, () -> open(d))
                        .recover(failure -> Future.succeededFuture(null))
                        .compose(opened -> {
                            if (opened == null) {
                                return miss(ctx, exchange, context, path, negotiated, key);
                            }
                            try {
                                HttpServerResponse response = ctx.response().setStatusCode(200);
                                entityHeaders(response, exchange, path, negotiated, key, hit.tier());
                                if (ctx.request().method() == HttpMethod.HEAD) {
                                    closeQuietly(opened.channel());
                                    response.putHeader(CONTENT_LENGTH, Long.toString(opened.size()));
                                    return response.end();
                                }
                                if (ctx.request().version() == io.vertx.core.http.HttpVersion.HTTP_2) {
                                    // Vert.x sends an open channel over HTTP/1.x only; over h2c
                                    // it opens the file by name, on the event loop.
                                    closeQuietly(opened.channel());
                                    return response.sendFile(d.path().toString());
                                }
                                return response.sendFile(opened.channel(), 0, opened.size())
                                        .onComplete(done -> closeQuietly(opened.channel()));
                            } catch (RuntimeException e) {
                                closeQuietly(opened.channel());
                                return Future.failedFuture(e);
                            }
                        });
            }
        };
    }

    /** A cached file, open, and its size when opened. */
    private record Opened(FileChannel channel, long size) {
    }

    /** Blocking: opens a disk hit's file; null (and forgotten) when it is gone, throws when unreadable. */
    private Opened open(Hit.Disk hit) throws java.io.IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(hit.path(), java.nio.file.StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            variants.cache().forgetFile(hit);
            return null;
        }
        try {
            return new Opened(channel, channel.size());
        } catch (java.io.IOException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (java.io.IOException ignored) {
            // read-only: nothing was lost
        }
    }

    private Future<Void> send(RoutingContext ctx, Exchange exchange, ImagePath path, Negotiated negotiated,
            VariantKey key, String tier, byte[] bytes) {
        HttpServerResponse response = ctx.response().setStatusCode(200);
        entityHeaders(response, exchange, path, negotiated, key, tier);
        response.putHeader(CONTENT_LENGTH, Integer.toString(bytes.length));
        if (ctx.request().method() == HttpMethod.HEAD) {
            return response.end();
        }
        return response.end(Buffer.buffer(bytes));
    }

    private void entityHeaders(HttpServerResponse response, Exchange exchange, ImagePath path,
            Negotiated negotiated, VariantKey key, String tier) {
        headers(response, exchange, negotiated, key);
        response.putHeader(X_CACHE, tier).putHeader(CONTENT_TYPE, key.format().mimeType());
        if (negotiated.transformation().attachment()) {
            response.putHeader("Content-Disposition",
                    "attachment; filename=\"" + path.id() + "." + key.format().extension() + "\"");
        }
    }

    /**
     * The headers a 200 and a 304 share (RFC 9110 §15.4.5: a 304 repeats ETag, Cache-Control,
     * Vary). A default image standing in for a missing one ({@code d_}) is cached briefly and
     * never as immutable (the missing image may be uploaded), and goes with either id's purge.
     */
    private void headers(HttpServerResponse response, Exchange exchange, Negotiated negotiated,
            VariantKey key) {
        boolean standIn = exchange.standIn != null;
        response.putHeader(ETAG, key.etag())
                .putHeader(CACHE_CONTROL, standIn ? STAND_IN_VALUE : IMMUTABLE_VALUE)
                .putHeader(SURROGATE_KEY, surrogateKey(exchange, negotiated.transformation()))
                .putHeader(ACCEPT_CH_NAME, ACCEPT_CH_VALUE);
        if (cors.variesOnOrigin()) {
            // Cors set Vary: Origin already; the negotiated headers join it.
            if (!negotiated.vary().isEmpty()) {
                response.putHeader(VARY, "Origin, " + String.join(", ", negotiated.vary()));
            }
        } else if (!negotiated.vary().isEmpty()) {
            response.putHeader(VARY, String.join(", ", negotiated.vary()));
        }
    }

    /**
     * Every image the answer was made from, so that purging any of them at a CDN removes it:
     * the image (or the {@code d_} image standing in for it, with the missing one) and each
     * image drawn as a layer.
     */
    private static String surrogateKey(Exchange exchange, Transformation transformation) {
        String key = exchange.standIn != null ? exchange.id.value() + " " + exchange.standIn.value()
                : exchange.id.value();
        for (ImageId layer : transformation.layerImages()) {
            if (!layer.equals(exchange.id) && !layer.equals(exchange.standIn)) {
                key += " " + layer.value();
            }
        }
        return key;
    }

    /**
     * Parses a path, remembering the answers for paths that parsed: a hot URL is asked for
     * again and again, and its parse was the largest share of a cache hit's CPU. Bad paths
     * are not remembered, so hostile ones cannot fill the memo.
     */
    private ImagePath parse(String raw) {
        ImagePath known = parsed.getIfPresent(raw);
        if (known != null) {
            return known;
        }
        ImagePath path = ImagePath.parse(raw, presets);
        parsed.put(raw, path);
        return path;
    }

    /** Meters, analytics and the access log line, once the response is out. */
    private void record(RoutingContext ctx, Exchange exchange, long nanos) {
        int status = ctx.response().getStatusCode();
        String cache = exchange.cache;
        String format = exchange.format;
        long bytes = exchange.bytes >= 0 ? exchange.bytes : ctx.response().bytesWritten();
        metrics.request(status, cache, format, nanos, bytes);
        ImageId id = exchange.id;
        analytics.record(new RequestRecord(id == null ? "" : id.value(), exchange.variant, format, exchange.dpr,
                DeviceClass.of(ctx.request().getHeader(SEC_CH_UA_MOBILE), ctx.request().getHeader(USER_AGENT)),
                status, cache, status == 200 ? bytes : 0, status == 200 ? originalBytes(id) : 0L, nanos));
    }

    /** What the original weighs, when this node has seen its header (by now, on every miss). */
    private long originalBytes(ImageId id) {
        return id == null ? 0L : variants.known(id).map(SourceInfo::bytes).orElse(0L);
    }

    /** {@code If-None-Match}: a list of entity tags or {@code *}; weak comparison, as RFC 9110 asks. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.equals("*")) {
                return true;
            }
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
