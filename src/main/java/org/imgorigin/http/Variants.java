package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.cache.SingleFlight;
import org.imgorigin.cache.VariantCache;
import org.imgorigin.cache.VariantKey;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderedImage;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.url.Transformation;

/**
 * Makes variants that are not cached yet: a place in the render pool first (429 when it is
 * full, before anything is read), then the original (one copy in memory for every variant
 * made from it, see {@link Sources}), the render on the bounded pool, and both cache tiers.
 * Concurrent requests for one variant share one render, whether they come from visitors or
 * from eager rendering after an upload; a failure is not cached. What a render writes goes
 * through {@link Invalidation}: a purge or delete while it ran keeps it out of every tier.
 */
final class Variants {
    private static final Logger LOG = Logger.getLogger(Variants.class.getName());

    private final OriginalStore store;
    private final Sources sources;
    private final Renderer renderer;
    private final RenderPool pool;
    private final Blocking blocking;
    private final Metrics metrics;
    private final VariantCache cache;
    private final Invalidation invalidation;
    private final Mezzanines mezzanines;
    private final SingleFlight<VariantKey, byte[]> flights = new SingleFlight<>();
    private final Bursts bursts;
    /** Ids the store said exist, so conditional requests for cold ids cost one HEAD, not one each. */
    private final com.github.benmanes.caffeine.cache.Cache<ImageId, Boolean> existing =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000)
                    .expireAfterWrite(java.time.Duration.ofMinutes(10)).build();

    Variants(OriginalStore store, Sources sources, Renderer renderer, RenderPool pool, Blocking blocking,
            Metrics metrics, VariantCache cache, Invalidation invalidation, Mezzanines mezzanines, int burst) {
        this.store = store;
        this.sources = sources;
        this.renderer = renderer;
        this.pool = pool;
        this.blocking = blocking;
        this.metrics = metrics;
        this.cache = cache;
        this.invalidation = invalidation;
        this.mezzanines = mezzanines;
        this.bursts = new Bursts(renderer, pool, mezzanines, burst,
                (source, jobs, each) -> renderMany(source, jobs, false, each));
        invalidation.register(id -> {
            existing.invalidate(id);
            return 0;
        });
    }

    VariantCache cache() {
        return cache;
    }

    Invalidation invalidation() {
        return invalidation;
    }

    Optional<SourceInfo> known(ImageId id) {
        return sources.known(id);
    }

    /** After an upload whose work began at {@code ticket}: the original is known. */
    void remember(ImageId id, SourceInfo info, long ticket) {
        sources.remember(id, info, ticket);
    }

    /** What the original's header says, reading it (under the same limits as a render) if need be. */
    Future<SourceInfo> inspect(Context context, ImageId id) {
        if (invalidation.deleted(id)) {
            return Future.failedFuture(HttpError.notFound("no image with id " + id));
        }
        Optional<SourceInfo> known = sources.known(id);
        return known.isPresent() ? Future.succeededFuture(known.get()) : sources.peek(context, id);
    }

    /**
     * Whether the image exists, without reading it: known here, or in the store (a HEAD,
     * remembered for a while, and forgotten by a purge like every other copy).
     */
    Future<Boolean> exists(Context context, ImageId id) {
        if (invalidation.deleted(id)) {
            return Future.succeededFuture(false);
        }
        if (sources.known(id).isPresent() || existing.getIfPresent(id) != null) {
            return Future.succeededFuture(true);
        }
        long ticket = invalidation.ticket();
        return blocking.run(context, () -> {
            boolean exists = store.exists(id);
            if (exists) {
                invalidation.write(id, ticket, () -> existing.put(id, Boolean.TRUE), () -> existing.invalidate(id));
            }
            return exists;
        });
    }

    /** The eager set of {@code id} is being rendered: the next render of it makes its mezzanine. */
    void expectMany(ImageId id) {
        mezzanines.expectMany(id);
    }

    /**
     * Renders several variants of one original (an upload's eager ones: every key of the same
     * id) from one decode ({@link Renderer#renderMany}), in one place in the pool, and keeps each
     * as {@link #produce} does, through {@link Invalidation} with the ticket taken before the
     * original was read. A variant the shared decode does not cover, or that failed in it, is
     * rendered alone, as {@link #produce} renders it; one already being made is shared.
     */
    List<Future<byte[]>> produceMany(Context context, List<VariantKey> keys, List<Transformation> transformations) {
        ImageId id = keys.getFirst().id();
        List<Renderer.Job> jobs = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            if (!keys.get(i).id().equals(id)) {
                throw new IllegalArgumentException("variants of more than one image");
            }
            jobs.add(new Renderer.Job(transformations.get(i), keys.get(i).format()));
        }
        long ticket = invalidation.ticket();
        Future<List<Optional<RenderedImage>>> batch = sources.acquire(context, id, () -> {
            if (!pool.hasRoom()) {
                throw RenderPool.full();
            }
        }).compose(lease -> {
            try {
                RenderPool.Slot slot = pool.admit();
                return slot.run(() -> renderMany(lease.source().bytes(), jobs, true, (index, rendered) -> { }))
                        .onComplete(done -> lease.close());
            } catch (RuntimeException e) {
                lease.close();
                return Future.failedFuture(e);
            }
        });
        List<Future<byte[]>> done = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            int index = i;
            VariantKey key = keys.get(i);
            Transformation transformation = transformations.get(i);
            done.add(flights.run(key, () -> batch.transform(rendered -> {
                Optional<RenderedImage> mine = rendered.succeeded() ? rendered.result().get(index) : Optional.empty();
                return mine.isPresent() ? keep(context, key, transformation, true, ticket, mine.get())
                        : attempt(context, key, transformation, true);
            })));
        }
        return done;
    }

    /**
     * On a render worker: the variants {@link Renderer#renderMany} covers, counted as renders, and
     * the decode they shared as an upload's eager set's ({@code eager}) or a burst's; {@code each}
     * hears of every one as soon as it is rendered.
     */
    private List<Optional<RenderedImage>> renderMany(byte[] source, List<Renderer.Job> jobs, boolean eager,
            Renderer.Each each) throws RenderException {
        long start = System.nanoTime();
        List<Optional<RenderedImage>> rendered = renderer.renderMany(source, jobs, new Renderer.Each() {
            @Override
            public void rendered(int index, RenderedImage image) {
                each.rendered(index, image);
            }

            @Override
            public void failed(int index, RenderException failure) {
                if (!eager) { // an eager variant that failed here is rendered alone, and counted then
                    metrics.rendered(jobs.get(index).output().extension(), "failed", System.nanoTime() - start);
                }
                each.failed(index, failure);
            }

            @Override
            public void unshareable() {
                each.unshareable();
            }
        });
        long count = rendered.stream().filter(Optional::isPresent).count();
        if (count > 0) {
            if (eager) {
                metrics.eagerDecode();
            } else {
                metrics.burstDecode(count);
            }
        }
        for (Optional<RenderedImage> one : rendered) {
            if (one.isPresent()) {
                metrics.rendered(one.get().format().extension(), "ok", (System.nanoTime() - start) / count);
                if (one.get().original()) {
                    metrics.heavierAvoided(one.get().renderedBytes() - one.get().bytes().length);
                }
            }
        }
        return rendered;
    }

    /** Renders {@code transformation} for {@code key} (once, however many ask) and caches it. */
    Future<byte[]> produce(Context context, VariantKey key, Transformation transformation) {
        return flights.run(key, () -> attempt(context, key, transformation, true));
    }

    private Future<byte[]> attempt(Context context, VariantKey key, Transformation transformation, boolean again) {
        long ticket = invalidation.ticket();
        List<ImageId> layers = transformation.layerImages();
        // The pool's room is checked once the store has found the original, before its bytes
        // are read: a full pool is a 429 that cost no read, and an unknown id is a 404 that
        // never held a place in the pool.
        return sources.acquire(context, key.id(), () -> {
                    if (!pool.hasRoom()) {
                        throw RenderPool.full();
                    }
                })
                .compose(lease -> layerSources(context, layers, lease))
                .compose(leases -> {
                    try {
                        RenderPool.Slot slot = pool.admit();
                        Callable<RenderedImage> alone = () -> render(leases, transformation, key, ticket);
                        Future<RenderedImage> rendered = layers.isEmpty()
                                ? bursts.run(context, slot, key.id(), leases.getFirst().source(),
                                        new Renderer.Job(transformation, key.format()), alone)
                                : slot.run(alone);
                        return rendered.onComplete(done -> leases.forEach(Sources.Lease::close));
                    } catch (RuntimeException e) {
                        leases.forEach(Sources.Lease::close);
                        return Future.failedFuture(e);
                    }
                })
                .compose(rendered -> layers.isEmpty() ? keep(context, key, transformation, again, ticket, rendered)
                        : blocking.run(context, () -> {
                            // Before the write, so that a purge of a layer finds what drew it.
                            invalidation.composedOf(key.id(), layers);
                            return true;
                        }).recover(failure -> {
                            // Unrecorded, a purge of a layer could not find this variant: answered, not kept.
                            LOG.log(Level.WARNING, "could not record the layers of " + key.relativePath(), failure);
                            return Future.succeededFuture(false);
                        }).compose(recorded -> recorded ? keep(context, key, transformation, again, ticket, rendered)
                                : Future.succeededFuture(rendered.bytes())));
    }

    /** Keeps a render in both tiers, unless an image it was made from was purged or deleted since {@code ticket}. */
    private Future<byte[]> keep(Context context, VariantKey key, Transformation transformation, boolean again,
            long ticket, RenderedImage rendered) {
        byte[] bytes = rendered.bytes();
        List<ImageId> layers = transformation.layerImages();
        if (!invalidation.write(key.id(), layers, ticket, () -> cache.remember(key, bytes), () -> cache.forget(key))) {
            // Purged or deleted while it rendered: what it rendered may be what the
            // purge meant to remove, so it is made once more from what is there now.
            return again ? attempt(context, key, transformation, false)
                    : Future.failedFuture(new HttpError(503, "the image changed while this variant "
                            + "was being made; retry"));
        }
        return blocking.run(context, () -> persist(key, layers, bytes, ticket));
    }

    /**
     * The leases of the image and of every image its layers draw (in that order), each read
     * through the same budget; a layer that does not exist is a 404 that says so. On failure
     * every lease taken is closed.
     */
    private Future<List<Sources.Lease>> layerSources(Context context, List<ImageId> layers, Sources.Lease base) {
        List<Sources.Lease> leases = new ArrayList<>(layers.size() + 1);
        leases.add(base);
        Future<List<Sources.Lease>> all = Future.succeededFuture(leases);
        for (ImageId layer : layers) {
            all = all.compose(taken -> sources.acquire(context, layer)
                    .recover(failure -> Future.failedFuture(failure instanceof HttpError e && e.status() == 404
                            ? HttpError.missingLayer(layer) : failure))
                    .map(lease -> {
                        taken.add(lease);
                        return taken;
                    }));
        }
        return all.onFailure(failure -> leases.forEach(Sources.Lease::close));
    }

    /**
     * On a render worker: from the original's {@link Mezzanines mezzanine} when it holds the
     * pixels the variant needs (read, or made now by this render or a concurrent one), else
     * from the original; the layers' originals beside it.
     */
    private RenderedImage render(List<Sources.Lease> leases, Transformation transformation, VariantKey key,
            long ticket)
            throws RenderException {
        long start = System.nanoTime();
        String format = key.format().extension();
        Sources.Source source = leases.getFirst().source();
        Map<ImageId, byte[]> layers = new HashMap<>();
        for (Sources.Lease lease : leases.subList(1, leases.size())) {
            layers.put(lease.id(), lease.source().bytes());
        }
        try {
            RenderedImage rendered = renderer.render(source.bytes(), transformation, key.format(), layers,
                    mezzanines.source(key.id(), source, ticket));
            if (rendered.fromMezzanine()) {
                metrics.mezzanine("used");
            }
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
    private byte[] persist(VariantKey key, List<ImageId> layers, byte[] bytes, long ticket) {
        boolean wasFailing = cache.disk().writeProblem().isPresent();
        try {
            invalidation.write(key.id(), layers, ticket, () -> cache.persist(key, bytes),
                    () -> cache.disk().remove(key.relativePath()));
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
