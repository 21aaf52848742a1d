package org.imgorigin.cache;

import io.vertx.core.Future;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Concurrent requests for one key share one piece of work: the first starts it, the others
 * get its future. The entry goes when the work ends, success or failure, so a failure is
 * never cached and the next request tries again.
 */
public final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, Future<V>> inFlight = new ConcurrentHashMap<>();

    public Future<V> run(K key, Supplier<Future<V>> work) {
        boolean[] started = {false};
        Future<V> future = inFlight.computeIfAbsent(key, k -> {
            started[0] = true;
            try {
                return work.get();
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        });
        if (started[0]) {
            future.onComplete(done -> inFlight.remove(key, future));
        }
        return future;
    }

    /** Keys with work in progress. */
    public int size() {
        return inFlight.size();
    }
}
