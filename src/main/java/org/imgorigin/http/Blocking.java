package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Blocking I/O (the original store, the disk) on JDK virtual threads: it never touches an
 * event loop, costs no platform thread while it waits, and its result comes back on the
 * caller's Vert.x context.
 */
public final class Blocking implements AutoCloseable {
    private final ExecutorService executor =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("imgorigin-io-", 0).factory());

    public <T> Future<T> run(Context context, Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return Future.fromCompletionStage(result, context);
    }

    /** The virtual-thread executor itself, for fire-and-forget I/O. */
    public java.util.concurrent.Executor executor() {
        return executor;
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
