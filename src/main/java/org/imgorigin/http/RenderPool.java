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

    /** Runs {@code task} on a render worker, or fails with 429 when the queue is full. */
    public <T> Future<T> submit(Callable<T> task) {
        if (admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            return Future.failedFuture(new HttpError(429, "too many renders waiting; retry shortly"));
        }
        return executor.executeBlocking(() -> {
            running.incrementAndGet();
            try {
                return task.call();
            } finally {
                running.decrementAndGet();
                admitted.decrementAndGet();
            }
        }, false);
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
