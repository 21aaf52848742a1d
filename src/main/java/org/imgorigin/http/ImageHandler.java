package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
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
import java.util.Optional;
import org.imgorigin.url.TransformationPrinter;

/**
 * {@code GET|HEAD /[s--sig--/][transformation/]<id>[.ext]}: one chain from parse to response.
 * Parsing and negotiation run on the event loop (microseconds); the store is read on a
 * virtual thread; decoding and encoding run on the bounded {@link RenderPool}.
 */
final class ImageHandler implements Handler<RoutingContext> {
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

    ImageHandler(Presets presets, Optional<Signer> signer, OriginalStore store, Renderer renderer, RenderPool pool, Blocking blocking,
            Negotiator negotiator, Metrics metrics) {
        this.presets = presets;
        this.signer = signer;
        this.store = store;
        this.renderer = renderer;
        this.pool = pool;
        this.blocking = blocking;
        this.negotiator = negotiator;
        this.metrics = metrics;
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
        blocking.run(context, () -> load(path.id()))
                .compose(source -> respond(ctx, path, source))
                .onFailure(ctx::fail);
    }

    private Source load(ImageId id) throws Exception {
        long start = System.nanoTime();
        Original original = store.fetch(id).orElseThrow(() -> HttpError.notFound("no image with id " + id));
        metrics.fetched(System.nanoTime() - start, original.bytes().length);
        // A header parse: no pixels are decoded, so it is cheap enough to do here.
        SourceInfo info = renderer.inspect(original.bytes());
        return new Source(original.bytes(), info);
    }

    private Future<Void> respond(RoutingContext ctx, ImagePath path, Source source) {
        Negotiated negotiated = negotiator.negotiate(path, source.info(), ctx.request().headers());
        VariantKey key = new VariantKey(path.id(), TransformationPrinter.print(negotiated.transformation()),
                negotiated.output());
        ctx.put("format", key.format().extension());
        ctx.put("cache", "MISS");
        if (matches(ctx.request().getHeader("If-None-Match"), key.etag())) {
            HttpServerResponse response = ctx.response().setStatusCode(304);
            headers(response, path, negotiated, key);
            return response.end();
        }
        return pool.submit(() -> render(source, negotiated))
                .compose(rendered -> send(ctx, path, negotiated, key, rendered));
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

    private Future<Void> send(RoutingContext ctx, ImagePath path, Negotiated negotiated, VariantKey key,
            RenderedImage rendered) {
        HttpServerResponse response = ctx.response().setStatusCode(200);
        headers(response, path, negotiated, key);
        response.putHeader("Content-Type", key.format().mimeType());
        if (negotiated.transformation().attachment()) {
            response.putHeader("Content-Disposition",
                    "attachment; filename=\"" + path.id() + "." + key.format().extension() + "\"");
        }
        response.putHeader("Content-Length", Integer.toString(rendered.bytes().length));
        if (ctx.request().method() == HttpMethod.HEAD) {
            return response.end();
        }
        return response.end(Buffer.buffer(rendered.bytes()));
    }

    /** The headers a 200 and a 304 share (RFC 9110 §15.4.5: a 304 repeats ETag, Cache-Control, Vary). */
    private static void headers(HttpServerResponse response, ImagePath path, Negotiated negotiated, VariantKey key) {
        response.putHeader("ETag", key.etag())
                .putHeader("Cache-Control", IMMUTABLE)
                .putHeader("Surrogate-Key", path.id().value())
                .putHeader("X-Cache", "MISS")
                .putHeader("Accept-CH", ACCEPT_CH);
        if (!negotiated.vary().isEmpty()) {
            response.putHeader("Vary", String.join(", ", negotiated.vary()));
        }
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
