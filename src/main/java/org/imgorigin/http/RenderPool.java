package org.imgorigin.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool renders run on, off the event loop: {@code workers} threads, and at most
 * {@code queue} renders waiting for one. Past that, a render is refused at once with 429
 * rather than queued: a client retrying later costs less than a node drowning in work.
 */
public final class RenderPool implements AutoCloseable {
    private final WorkerExecutor executor;
    private final int workers;
    private final int capacity;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    public RenderPool(Vertx vertx, int workers, int queue) {
        this.workers = workers;
        this.capacity = workers + queue;
        // Generous max execute time: the blocked-thread checker should flag only real hangs.
        this.executor = vertx.createSharedWorkerExecutor("imgorigin-render", workers, 60, TimeUnit.SECONDS);
    }

    /**
     * A place in the pool, taken before anything is spent on a render (reading its original
     * above all), so a full queue answers 429 before a byte of the original is read. Throws
     * {@link HttpError} 429 when the pool is full.
     */
    public Slot admit() {
        if (admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            throw full();
        }
        return new Slot();
    }

    /** Whether a render admitted now would find room (a check, not a reservation). */
    public boolean hasRoom() {
        return admitted.get() < capacity;
    }

    static HttpError full() {
        return new HttpError(429, "too many renders waiting; retry shortly");
    }

    /**
     * An admitted render: {@link #run} it once, or {@link #release} it unused. Its place is given
     * back when the run ends, or later when it is {@link #hold held}.
     */
    public final class Slot {
        private final AtomicBoolean done = new AtomicBoolean();
        /** The run, and each hold not yet let go: the place is given back when none is left. */
        private final AtomicInteger holds = new AtomicInteger(1);

        private Slot() {
        }

        /**
         * Keeps the place taken past the end of its run until the returned action is called (once;
         * later calls do nothing): for a render another worker does in its stead ({@code Bursts}),
         * so that it counts as waiting until it is answered. Null when the place was given back
         * already: a place once given back is never taken again.
         */
        public Runnable hold() {
            int now;
            do {
                now = holds.get();
                if (now == 0) {
                    return null;
                }
            } while (!holds.compareAndSet(now, now + 1));
            AtomicBoolean once = new AtomicBoolean();
            return () -> {
                if (once.compareAndSet(false, true)) {
                    free();
                }
            };
        }

        private void free() {
            if (holds.decrementAndGet() == 0) {
                admitted.decrementAndGet();
            }
        }

        /** Runs the render on a worker; the slot is given back when it ends. */
        public <T> Future<T> run(Callable<T> task) {
            if (done.getAndSet(true)) {
                throw new IllegalStateException("a slot runs one render");
            }
            AtomicBoolean started = new AtomicBoolean();
            try {
                return executor.executeBlocking(() -> {
                    started.set(true);
                    running.incrementAndGet();
                    try {
                        return task.call();
                    } finally {
                        running.decrementAndGet();
                        free();
                    }
                }, false).onFailure(failure -> {
                    if (!started.get()) {
                        free(); // never ran (the pool is closing)
                    }
                });
            } catch (RuntimeException e) {
                free();
                throw e;
            }
        }

        /** Gives the slot back without running anything (the original could not be read). */
        public void release() {
            if (!done.getAndSet(true)) {
                free();
            }
        }
    }

    /** Renders running now. */
    public int running() {
        return running.get();
    }

    /** Renders admitted and waiting for a worker. */
    public int queued() {
        return Math.max(0, admitted.get() - running.get());
    }

    public int workers() {
        return workers;
    }

    @Override
    public void close() {
        executor.close();
    }
}
