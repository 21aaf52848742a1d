package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.Hit;
import org.imgorigin.cache.SingleFlight;
import org.imgorigin.cache.VariantCache;
import org.imgorigin.cache.VariantKey;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderedImage;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.Original;
import org.imgorigin.store.OriginalStore;
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
    private static final Logger LOG = Logger.getLogger(ImageHandler.class.getName());
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String ACCEPT_CH = "Sec-CH-DPR, Sec-CH-Width";

    private final Presets presets;
    private final Optional<Signer> signer;
    private final OriginalStore store;
    private final Renderer renderer;
    private final RenderPool pool;
    private final Blocking blocking;
    private final Negotiator negotiator;
    private final Metrics metrics;
    private final VariantCache cache;
    private final Optional<String> accelPrefix;
    private final SingleFlight<VariantKey, byte[]> renders = new SingleFlight<>();
    /** What originals' headers say, so a URL without extension can be looked up without reading the original. */
    private final Cache<ImageId, SourceInfo> sources = Caffeine.newBuilder().maximumSize(100_000).build();

    ImageHandler(Presets presets, Optional<Signer> signer, OriginalStore store, Renderer renderer, RenderPool pool,
            Blocking blocking, Negotiator negotiator, Metrics metrics, VariantCache cache,
            Optional<String> accelPrefix) {
        this.presets = presets;
        this.signer = signer;
        this.store = store;
        this.renderer = renderer;
        this.pool = pool;
        this.blocking = blocking;
        this.negotiator = negotiator;
        this.metrics = metrics;
        this.cache = cache;
        this.accelPrefix = accelPrefix;
    }

    /** An original's bytes with what its header says. */
    private record Source(byte[] bytes, SourceInfo info) {
    }

    @Override
    public void handle(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(done -> metrics.request(ctx.response().getStatusCode(), ctx.get("cache", "none"),
                ctx.get("format", "none"), System.nanoTime() - start, ctx.response().bytesWritten()));
        ImagePath path = ImagePath.parse(ctx.request().path(), presets);
        if (signer.isPresent() && !signer.get().verify(path)) {
            throw new HttpError(403, path.signature().isEmpty() ? "this server only serves signed URLs"
                    : "invalid signature");
        }
        Context context = ctx.vertx().getOrCreateContext();
        Optional<SourceInfo> known = Optional.ofNullable(sources.getIfPresent(path.id()));
        Future<Optional<SourceInfo>> info = known.isPresent() || !negotiator.needsSource(path, ctx.request().headers())
                ? Future.succeededFuture(known)
                : blocking.run(context, () -> load(path.id())).map(s -> Optional.of(s.info()));
        info.compose(i -> respond(ctx, context, path, negotiator.negotiate(path, i, ctx.request().headers())))
                .onFailure(ctx::fail);
    }

    private Future<Void> respond(RoutingContext ctx, Context context, ImagePath path, Negotiated negotiated) {
        VariantKey key = new VariantKey(path.id(), TransformationPrinter.print(negotiated.transformation()),
                negotiated.output());
        ctx.put("format", key.format().extension());
        // Ids are content hashes: an ETag the client holds is still the variant's bytes.
        if (matches(ctx.request().getHeader("If-None-Match"), key.etag())) {
            ctx.put("cache", "NOT-MODIFIED");
            HttpServerResponse response = ctx.response().setStatusCode(304);
            headers(response, path, negotiated, key);
            return response.end();
        }
        Optional<Hit> hit = cache.lookup(key);
        if (hit.isPresent()) {
            return sendHit(ctx, path, negotiated, key, hit.get());
        }
        ctx.put("cache", "MISS");
        return renders.run(key, () -> blocking.run(context, () -> load(path.id()))
                        .compose(source -> pool.submit(() -> render(source, negotiated)))
                        .compose(rendered -> {
                            cache.remember(key, rendered.bytes());
                            return blocking.run(context, () -> persist(key, rendered.bytes()));
                        }))
                .compose(bytes -> send(ctx, path, negotiated, key, "MISS", bytes));
    }

    private Source load(ImageId id) throws Exception {
        long start = System.nanoTime();
        Original original = store.fetch(id).orElseThrow(() -> HttpError.notFound("no image with id " + id));
        metrics.fetched(System.nanoTime() - start, original.bytes().length);
        // A header parse: no pixels are decoded, so it is cheap enough for an I/O thread.
        SourceInfo info = renderer.inspect(original.bytes());
        sources.put(id, info);
        return new Source(original.bytes(), info);
    }

    private RenderedImage render(Source source, Negotiated negotiated) throws RenderException {
        long start = System.nanoTime();
        String format = negotiated.output().extension();
        try {
            RenderedImage rendered = renderer.render(source.bytes(), negotiated.transformation(), negotiated.output());
            metrics.rendered(format, "ok", System.nanoTime() - start);
            return rendered;
        } catch (RenderException | RuntimeException e) {
            metrics.rendered(format, "failed", System.nanoTime() - start);
            throw e;
        }
    }

    /** Writes a render to the disk tier; a full or broken disk costs a re-render later, never the answer. */
    private byte[] persist(VariantKey key, byte[] bytes) {
        try {
            cache.persist(key, bytes);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "could not write " + key.relativePath() + " to the disk cache", e);
            metrics.cacheWriteFailed();
        }
        return bytes;
    }

    private Future<Void> sendHit(RoutingContext ctx, ImagePath path, Negotiated negotiated, VariantKey key, Hit hit) {
        ctx.put("cache", hit.tier());
        return switch (hit) {
            case Hit.Memory m -> send(ctx, path, negotiated, key, hit.tier(), m.bytes());
            case Hit.Disk d when accelPrefix.isPresent() -> {
                // nginx serves the file: the JVM writes only headers.
                HttpServerResponse response = ctx.response().setStatusCode(200);
                entityHeaders(response, path, negotiated, key, hit.tier());
                response.putHeader("X-Accel-Redirect", accelPrefix.get() + d.relativePath());
                yield response.end();
            }
            case Hit.Disk d -> {
                HttpServerResponse response = ctx.response().setStatusCode(200);
                entityHeaders(response, path, negotiated, key, hit.tier());
                if (ctx.request().method() == HttpMethod.HEAD) {
                    response.putHeader("Content-Length", Long.toString(d.size()));
                    yield response.end();
                }
                // sendfile(2): the bytes go from the page cache to the socket without the heap.
                yield response.sendFile(d.path().toString()).recover(failure -> {
                    // Evicted between lookup and send: the headers may already be out.
                    cache.disk().remove(d.relativePath());
                    return Future.failedFuture(failure);
                });
            }
        };
    }

    private Future<Void> send(RoutingContext ctx, ImagePath path, Negotiated negotiated, VariantKey key, String tier,
            byte[] bytes) {
        HttpServerResponse response = ctx.response().setStatusCode(200);
        entityHeaders(response, path, negotiated, key, tier);
        response.putHeader("Content-Length", Integer.toString(bytes.length));
        if (ctx.request().method() == HttpMethod.HEAD) {
            return response.end();
        }
        return response.end(Buffer.buffer(bytes));
    }

    private static void entityHeaders(HttpServerResponse response, ImagePath path, Negotiated negotiated,
            VariantKey key, String tier) {
        headers(response, path, negotiated, key);
        response.putHeader("X-Cache", tier).putHeader("Content-Type", key.format().mimeType());
        if (negotiated.transformation().attachment()) {
            response.putHeader("Content-Disposition",
                    "attachment; filename=\"" + path.id() + "." + key.format().extension() + "\"");
        }
    }

    /** The headers a 200 and a 304 share (RFC 9110 §15.4.5: a 304 repeats ETag, Cache-Control, Vary). */
    private static void headers(HttpServerResponse response, ImagePath path, Negotiated negotiated, VariantKey key) {
        response.putHeader("ETag", key.etag())
                .putHeader("Cache-Control", IMMUTABLE)
                .putHeader("Surrogate-Key", path.id().value())
                .putHeader("Accept-CH", ACCEPT_CH);
        if (!negotiated.vary().isEmpty()) {
            response.putHeader("Vary", String.join(", ", negotiated.vary()));
        }
    }

    /** Forgets what is known of an original (after a delete). */
    void forget(ImageId id) {
        sources.invalidate(id);
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
