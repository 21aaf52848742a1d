package org.imgorigin.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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

    /** An admitted render: {@link #run} it once, or {@link #release} it unused. */
    public final class Slot {
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        private Slot() {
        }

        /** Runs the render on a worker; the slot is given back when it ends. */
        public <T> Future<T> run(Callable<T> task) {
            if (done.getAndSet(true)) {
                throw new IllegalStateException("a slot runs one render");
            }
            java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
            try {
                return executor.executeBlocking(() -> {
                    started.set(true);
                    running.incrementAndGet();
                    try {
                        return task.call();
                    } finally {
                        running.decrementAndGet();
                        admitted.decrementAndGet();
                    }
                }, false).onFailure(failure -> {
                    if (!started.get()) {
                        admitted.decrementAndGet(); // never ran (the pool is closing)
                    }
                });
            } catch (RuntimeException e) {
                admitted.decrementAndGet();
                throw e;
            }
        }

        /** Gives the slot back without running anything (the original could not be read). */
        public void release() {
            if (!done.getAndSet(true)) {
                admitted.decrementAndGet();
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
