package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderedImage;
import org.imgorigin.render.Renderer;

/**
 * A burst of requests for several variants of one original (a CDN filling a srcset after a
 * purge, a page asked for by many devices) shares one decode. The render that reaches a worker
 * takes along the renders of the same original still waiting for one (up to {@code
 * IMGORIGIN_BURST} in all) and renders them from one decode ({@link Renderer#renderMany});
 * each request gets its own answer as soon as it is rendered, as its own render would have made
 * it within the quality bound the eager set keeps.
 *
 * <p>Only renders that have waited a while ({@link #YOUNG_NANOS}) are taken, and only while every
 * worker is busy: with a worker free, a waiting render starts on it at once, in parallel, and a
 * burst would only make it wait for the others. On a node that keeps up, every request renders alone and this costs nothing.
 * Only renders of the same read of the original are taken together (one {@link Sources.Source}):
 * a purge since one of them was read keeps them apart, so that each is kept under the ticket
 * of the bytes it was made from. Left alone: variants the shared decode does not cover ({@link
 * Renderer#shareable}), renders with layers, originals whose renders load from a mezzanine now
 * (kept or being made: cheaper per variant than a decode of the original), and, for {@link
 * #REFUSED_FOR}, originals found unfit for a shared decode once decoded (CMYK, 16-bit). When a
 * burst's shared decode is refused or fails, its renders are made alone, one after another on
 * its worker: at most once per original for an unfit one, and rarely otherwise (a shared image
 * over {@code IMGORIGIN_MAX_OUTPUT_PIXELS}, a decode stopped by the time limit).
 *
 * <p>A render taken by another's keeps its place in the pool until it is answered ({@link
 * RenderPool.Slot#hold}), so the pool's bound on waiting renders holds. Every render taken is
 * answered exactly once, whatever is thrown; answers complete on each request's own context.
 */
final class Bursts {
    private static final Logger LOG = Logger.getLogger(Bursts.class.getName());
    /** How long an original found unfit for a shared decode renders its bursts alone. */
    static final Duration REFUSED_FOR = Duration.ofMinutes(10);
    /**
     * How long a render must have waited to be taken: one younger is most likely being handed
     * to a worker that just became free (taking it would leave that worker idle).
     */
    static final long YOUNG_NANOS = Duration.ofMillis(20).toNanos();

    /** Renders several variants of one original from one decode: {@code Variants#renderMany}. */
    @FunctionalInterface
    interface Many {
        List<Optional<RenderedImage>> render(byte[] source, List<Renderer.Job> jobs, Renderer.Each each)
                throws RenderException;
    }

    private final Renderer renderer;
    private final RenderPool pool;
    private final Mezzanines mezzanines;
    private final int most;
    private final Many many;
    private final ConcurrentHashMap<ImageId, List<Pending>> waiting = new ConcurrentHashMap<>();
    private final Cache<ImageId, Boolean> refused =
            Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(REFUSED_FOR).build();

    /** {@code most}: the most variants rendered from one decode; 1 renders each alone. */
    Bursts(Renderer renderer, RenderPool pool, Mezzanines mezzanines, int most, Many many) {
        this.renderer = renderer;
        this.pool = pool;
        this.mezzanines = mezzanines;
        this.most = most;
        this.many = many;
    }

    /** A render waiting for a worker, which another render of its original may take. */
    private static final class Pending {
        final Context context;
        final RenderPool.Slot slot;
        final Sources.Source source;
        final Renderer.Job job;
        final Callable<RenderedImage> alone;
        final Promise<RenderedImage> answer = Promise.promise();
        final AtomicBoolean taken = new AtomicBoolean();
        final AtomicBoolean answered = new AtomicBoolean();
        final long since = System.nanoTime();
        /** Gives the slot back once this is answered, when another render took it. */
        volatile Runnable release = () -> { };

        Pending(Context context, RenderPool.Slot slot, Sources.Source source, Renderer.Job job,
                Callable<RenderedImage> alone) {
            this.context = context;
            this.slot = slot;
            this.source = source;
            this.job = job;
            this.alone = alone;
        }

        void succeed(RenderedImage rendered) {
            settle(() -> answer.tryComplete(rendered));
        }

        void fail(Throwable failure) {
            settle(() -> answer.tryFail(failure));
        }

        private void settle(Runnable complete) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            release.run();
            try {
                context.runOnContext(v -> complete.run());
            } catch (RuntimeException e) {
                complete.run(); // the context is gone (shutting down): answered here
            }
        }

        /** Runs {@code alone} here, on the worker, and answers with what it gives. */
        void renderAlone() {
            RenderedImage rendered;
            try {
                rendered = alone.call();
            } catch (Exception | Error e) {
                fail(e);
                return;
            }
            succeed(rendered);
        }
    }

    /**
     * Runs {@code job} of {@code source}, the original of {@code id}, in {@code slot}: alone (by
     * {@code alone}), or from one decode with renders of the same read of it that wait for a
     * worker, whichever reaches a worker first doing the work.
     */
    Future<RenderedImage> run(Context context, RenderPool.Slot slot, ImageId id, Sources.Source source,
            Renderer.Job job, Callable<RenderedImage> alone) {
        if (most < 2 || !renderer.shareable(source.info(), job)) {
            return slot.run(alone);
        }
        Pending me = new Pending(context, slot, source, job, alone);
        waiting.compute(id, (k, list) -> {
            List<Pending> all = list == null ? new ArrayList<>() : list;
            all.add(me);
            return all;
        });
        Future<Void> turn;
        try {
            turn = slot.run(() -> {
                if (me.taken.compareAndSet(false, true)) {
                    leave(id, me);
                    work(id, me);
                }
                return null; // taken by another's render, which answers it
            });
        } catch (RuntimeException e) {
            me.taken.set(true);
            leave(id, me);
            throw e;
        }
        turn.onFailure(failure -> {
            if (me.taken.compareAndSet(false, true)) { // never ran: the pool is closing
                leave(id, me);
            }
            me.fail(failure); // a no-op when answered already
        });
        return me.answer.future();
    }

    private void leave(ImageId id, Pending pending) {
        waiting.computeIfPresent(id, (k, list) -> {
            list.remove(pending);
            return list.isEmpty() ? null : list;
        });
    }

    /** On a worker: {@code first}'s render, with those of the same read of {@code id} still waiting. */
    private void work(ImageId id, Pending first) {
        List<Pending> batch = new ArrayList<>(List.of(first));
        try {
            // This render counts among the running ones.
            if (pool.running() >= pool.workers() && refused.getIfPresent(id) == null && !mezzanines.standsIn(id)) {
                long now = System.nanoTime();
                waiting.computeIfPresent(id, (k, list) -> {
                    for (var it = list.iterator(); it.hasNext() && batch.size() < most; ) {
                        Pending other = it.next();
                        if (other.source != first.source || now - other.since < YOUNG_NANOS) {
                            continue;
                        }
                        // Its place held before it is taken: its own turn, starting meanwhile, could
                        // otherwise give the place back first.
                        Runnable hold = other.slot.hold();
                        if (hold == null) {
                            continue; // its turn has ended: it is no longer waiting
                        }
                        if (other.taken.compareAndSet(false, true)) {
                            other.release = hold;
                            batch.add(other);
                            it.remove();
                        } else {
                            hold.run();
                        }
                    }
                    return list.isEmpty() ? null : list;
                });
            }
            if (batch.size() > 1) {
                together(id, batch);
            }
            for (Pending pending : batch) {
                if (!pending.answered.get()) {
                    pending.renderAlone();
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "a burst of renders of " + id + " failed", e);
            for (Pending pending : batch) {
                pending.fail(e); // those answered already keep their answer
            }
            throw e;
        }
    }

    /** The batch's renders from one decode; those it does not answer are left to render alone. */
    private void together(ImageId id, List<Pending> batch) {
        // Like an eager set, the batch counts as the original's first render: the next makes its mezzanine.
        mezzanines.expectMany(id);
        try {
            many.render(batch.getFirst().source.bytes(), batch.stream().map(p -> p.job).toList(),
                    new Renderer.Each() {
                        @Override
                        public void rendered(int index, RenderedImage image) {
                            batch.get(index).succeed(image);
                        }

                        @Override
                        public void failed(int index, RenderException failure) {
                            batch.get(index).fail(failure); // as it would alone: not rendered twice
                        }

                        @Override
                        public void unshareable() {
                            refused.put(id, Boolean.TRUE); // CMYK, 16-bit, alpha: so it stays
                        }
                    });
        } catch (RenderException e) {
            // The original refused: each render alone says why.
        }
    }
}
