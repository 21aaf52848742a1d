package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderedImage;
import org.imgorigin.render.Renderer;

/**
 * A burst of requests for several variants of one original (a CDN filling a srcset after a
 * purge, a page asked for by many devices) shares one decode. The render that reaches a worker
 * first takes along every render of the same original still waiting for one (up to {@code
 * IMGORIGIN_BURST} in all) and renders them from one decode ({@link Renderer#renderMany}); each request
 * gets its own answer, as its own render would have made it within the quality bound the eager
 * set keeps. Only renders that wait for a worker are taken, and only while every worker is
 * busy: with a worker free, a waiting render starts on it at once, in parallel, and a burst
 * would only make it wait for the others. On a node that keeps up, every request renders alone
 * and this costs nothing. Left alone: variants the shared decode does
 * not cover ({@link Renderer#shareable}), renders with layers, and originals whose renders load
 * from a mezzanine now (kept or being made), which is cheaper per variant than a decode of the
 * original.
 *
 * <p>A render taken by another's keeps its place in the pool until its own turn comes, when it
 * gives it back without rendering: the pool's bound on waiting renders is unchanged. Answers
 * are completed on each request's own context.
 */
final class Bursts {

    /** Renders several variants of one original from one decode: {@code Variants#renderMany}. */
    @FunctionalInterface
    interface Many {
        /** {@code each} hears of every job rendered as soon as it is, by its index in {@code jobs}. */
        List<Optional<RenderedImage>> render(byte[] source, List<Renderer.Job> jobs,
                BiConsumer<Integer, RenderedImage> each) throws RenderException;
    }

    private final Renderer renderer;
    private final RenderPool pool;
    private final Mezzanines mezzanines;
    private final int most;
    private final Many many;
    private final ConcurrentHashMap<ImageId, List<Pending>> waiting = new ConcurrentHashMap<>();

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
        final Renderer.Job job;
        final Callable<RenderedImage> alone;
        final Promise<RenderedImage> answer = Promise.promise();
        final AtomicBoolean taken = new AtomicBoolean();

        Pending(Context context, Renderer.Job job, Callable<RenderedImage> alone) {
            this.context = context;
            this.job = job;
            this.alone = alone;
        }

        void succeed(RenderedImage rendered) {
            context.runOnContext(v -> answer.complete(rendered));
        }

        void fail(Throwable failure) {
            context.runOnContext(v -> answer.fail(failure));
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
     * Runs {@code job} of the original {@code source} of {@code id} in {@code slot}: alone (by
     * {@code alone}), or from one decode with renders of the same original that wait for a
     * worker, whichever reaches a worker first doing the work.
     */
    Future<RenderedImage> run(Context context, RenderPool.Slot slot, ImageId id, Sources.Source source,
            Renderer.Job job, Callable<RenderedImage> alone) {
        if (most < 2 || !renderer.shareable(source.info(), job)) {
            return slot.run(alone);
        }
        Pending me = new Pending(context, job, alone);
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
                    work(id, source.bytes(), me);
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
                me.fail(failure);
            }
        });
        return me.answer.future();
    }

    private void leave(ImageId id, Pending pending) {
        waiting.computeIfPresent(id, (k, list) -> {
            list.remove(pending);
            return list.isEmpty() ? null : list;
        });
    }

    /** On a worker: {@code first}'s render, with the renders of {@code id} still waiting. */
    private void work(ImageId id, byte[] bytes, Pending first) {
        List<Pending> batch = new ArrayList<>(List.of(first));
        // This render counts among the running ones.
        if (pool.running() >= pool.workers() && !mezzanines.standsIn(id)) {
            waiting.computeIfPresent(id, (k, list) -> {
                for (var it = list.iterator(); it.hasNext() && batch.size() < most; ) {
                    Pending other = it.next();
                    if (other.taken.compareAndSet(false, true)) {
                        batch.add(other);
                        it.remove();
                    }
                }
                return list.isEmpty() ? null : list;
            });
        }
        if (batch.size() == 1) {
            first.renderAlone();
            return;
        }
        // Like an eager set, the batch counts as the original's first render: the next makes its mezzanine.
        mezzanines.expectMany(id);
        boolean[] answered = new boolean[batch.size()];
        try {
            // Each is answered as soon as it is rendered: the first request waits for its own only.
            many.render(bytes, batch.stream().map(p -> p.job).toList(), (index, rendered) -> {
                answered[index] = true;
                batch.get(index).succeed(rendered);
            });
        } catch (RenderException | RuntimeException e) {
            // The original refused, or a failure between renders: each left says what is wrong alone.
        }
        for (int i = 0; i < batch.size(); i++) {
            if (!answered[i]) {
                batch.get(i).renderAlone();
            }
        }
    }
}
