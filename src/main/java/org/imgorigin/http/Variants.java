package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
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
import org.imgorigin.url.Transformation;

/**
 * Makes variants that are not cached yet: fetch the original (on a virtual thread), render
 * (on the bounded pool), keep the result in both cache tiers. Concurrent requests for one
 * variant share one fetch and one render, whether they come from visitors or from eager
 * rendering after an upload; a failure is not cached.
 */
final class Variants {
    private static final Logger LOG = Logger.getLogger(Variants.class.getName());

    private final OriginalStore store;
    private final Renderer renderer;
    private final RenderPool pool;
    private final Blocking blocking;
    private final Metrics metrics;
    private final VariantCache cache;
    private final SingleFlight<VariantKey, byte[]> flights = new SingleFlight<>();
    /** What originals' headers say, so a URL without extension can be looked up without reading the original. */
    private final Cache<ImageId, SourceInfo> sources = Caffeine.newBuilder().maximumSize(100_000).build();
    /** Ids deleted lately: a render that was running during the delete must not leave a file behind. */
    private final Cache<ImageId, Boolean> deleted = Caffeine.newBuilder()
            .expireAfterWrite(java.time.Duration.ofMinutes(10)).maximumSize(100_000).build();

    Variants(OriginalStore store, Renderer renderer, RenderPool pool, Blocking blocking, Metrics metrics,
            VariantCache cache) {
        this.store = store;
        this.renderer = renderer;
        this.pool = pool;
        this.blocking = blocking;
        this.metrics = metrics;
        this.cache = cache;
    }

    /** An original's bytes with what its header says. */
    record Source(byte[] bytes, SourceInfo info) {
    }

    VariantCache cache() {
        return cache;
    }

    Optional<SourceInfo> known(ImageId id) {
        return Optional.ofNullable(sources.getIfPresent(id));
    }

    /** After an upload: the original is known (and, if it was deleted lately, back). */
    void remember(ImageId id, SourceInfo info) {
        sources.put(id, info);
        deleted.invalidate(id);
    }

    /** After a delete: forget the original's header, and keep renders still running from writing it back. */
    void forget(ImageId id) {
        sources.invalidate(id);
        deleted.put(id, Boolean.TRUE);
    }

    Future<Source> load(Context context, ImageId id) {
        return blocking.run(context, () -> {
            long start = System.nanoTime();
            Original original = store.fetch(id).orElseThrow(() -> HttpError.notFound("no image with id " + id));
            metrics.fetched(System.nanoTime() - start, original.bytes().length);
            // A header parse: no pixels are decoded, so it is cheap enough for an I/O thread.
            SourceInfo info = renderer.inspect(original.bytes());
            sources.put(id, info);
            return new Source(original.bytes(), info);
        });
    }

    /** Renders {@code transformation} for {@code key} (once, however many ask) and caches it. */
    Future<byte[]> produce(Context context, VariantKey key, Transformation transformation) {
        return flights.run(key, () -> load(context, key.id())
                .compose(source -> pool.submit(() -> render(source, transformation, key)))
                .compose(rendered -> {
                    // A render that was running while its image was deleted answers its own
                    // request, but neither tier keeps it.
                    if (deleted.getIfPresent(key.id()) != null) {
                        return Future.succeededFuture(rendered.bytes());
                    }
                    cache.remember(key, rendered.bytes());
                    return blocking.run(context, () -> persist(key, rendered.bytes()));
                }));
    }

    private RenderedImage render(Source source, Transformation transformation, VariantKey key) throws RenderException {
        long start = System.nanoTime();
        String format = key.format().extension();
        try {
            RenderedImage rendered = renderer.render(source.bytes(), transformation, key.format());
            metrics.rendered(format, "ok", System.nanoTime() - start);
            if (rendered.original()) {
                metrics.heavierAvoided(rendered.renderedBytes() - rendered.bytes().length);
            }
            return rendered;
        } catch (RenderException | RuntimeException e) {
            metrics.rendered(format, "failed", System.nanoTime() - start);
            throw e;
        }
    }

    /** Writes a render to the disk tier; a full or broken disk costs a re-render later, never the answer. */
    private byte[] persist(VariantKey key, byte[] bytes) {
        if (deleted.getIfPresent(key.id()) != null) {
            return bytes;
        }
        boolean wasFailing = cache.disk().writeProblem().isPresent();
        try {
            cache.persist(key, bytes);
            if (wasFailing) {
                LOG.info("the disk cache takes writes again");
            }
        } catch (Exception e) {
            metrics.cacheWriteFailed();
            // A full disk fails every write: one warning with the cause, then quiet until it recovers.
            if (!wasFailing) {
                LOG.log(Level.WARNING, "could not write " + key.relativePath() + " to the disk cache; variants are "
                        + "rendered and served but not cached until it takes writes again", e);
            }
        }
        return bytes;
    }
}
