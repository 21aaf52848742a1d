package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.Original;
import org.imgorigin.store.OriginalStore;

/**
 * Originals read into memory for renders, at most one copy of each however many variants are
 * being made from it, and within a budget of bytes for all of them together.
 *
 * <p>What one request may cost in heap is bounded here: an original larger than
 * {@code maxOriginalBytes} is refused (422) from its size, before its bytes are read; and a
 * new original is read only while the originals already in memory leave room for it in
 * {@code budgetBytes}, else the request gets 429 at once (one original is always let in, so
 * the largest allowed one can still be served). Forty requests for forty widths of one
 * 16 MB photo hold 16 MB, not 640.
 */
final class Sources {
    private final OriginalStore store;
    private final Renderer renderer;
    private final Blocking blocking;
    private final Metrics metrics;
    private final Invalidation invalidation;
    private final long maxOriginalBytes;
    private final long budgetBytes;
    /** What originals' headers say, so a URL without extension can be negotiated without reading the original. */
    private final Cache<ImageId, SourceInfo> infos = Caffeine.newBuilder().maximumSize(100_000).build();

    // Guarded by this.
    private final Map<ImageId, Entry> loaded = new HashMap<>();
    private long inMemory;

    /** An original's bytes with what its header says. */
    record Source(byte[] bytes, SourceInfo info) {
    }

    private static final class Entry {
        final long ticket;
        final Runnable beforeRead;
        final CompletableFuture<Source> source = new CompletableFuture<>();
        int leases;
        long reserved;

        Entry(long ticket, Runnable beforeRead) {
            this.ticket = ticket;
            this.beforeRead = beforeRead;
        }
    }

    /** A hold on a loaded original; close it when the render is done with the bytes. */
    final class Lease implements AutoCloseable {
        private final ImageId id;
        private final Entry entry;
        private final Source source;
        private boolean closed;

        private Lease(ImageId id, Entry entry, Source source) {
            this.id = id;
            this.entry = entry;
            this.source = source;
        }

        Source source() {
            return source;
        }

        ImageId id() {
            return id;
        }

        @Override
        public void close() {
            synchronized (Sources.this) {
                if (!closed) {
                    closed = true;
                    release(id, entry);
                }
            }
        }
    }

    Sources(OriginalStore store, Renderer renderer, Blocking blocking, Metrics metrics, Invalidation invalidation,
            long maxOriginalBytes, long budgetBytes) {
        this.store = store;
        this.renderer = renderer;
        this.blocking = blocking;
        this.metrics = metrics;
        this.invalidation = invalidation;
        this.maxOriginalBytes = maxOriginalBytes;
        this.budgetBytes = budgetBytes;
        invalidation.register(id -> {
            infos.invalidate(id);
            return 0;
        });
    }

    Optional<SourceInfo> known(ImageId id) {
        return Optional.ofNullable(infos.getIfPresent(id));
    }

    /** What an upload learned of an original, kept unless the image was purged or deleted since {@code ticket}. */
    void remember(ImageId id, SourceInfo info, long ticket) {
        invalidation.write(id, ticket, () -> infos.put(id, info), () -> infos.invalidate(id));
    }

    /** Bytes of originals held in memory now. */
    synchronized long inMemory() {
        return inMemory;
    }

    /**
     * The original, read once for everyone who asks while it is held; fails with 404 when
     * there is none (or it was deleted here), 422 when it is too large, 429 when the budget is
     * spent. The lease must be closed.
     */
    Future<Lease> acquire(Context context, ImageId id) {
        return acquire(context, id, () -> { });
    }

    /**
     * As {@link #acquire(Context, ImageId)}; {@code beforeRead} runs once the store has found
     * the original and its size, before its bytes are read, when this request starts the
     * read (a render checks there that the pool has room, so a full pool is a 429 before any
     * byte is read, and an unknown id never holds a place in the pool).
     */
    Future<Lease> acquire(Context context, ImageId id, Runnable beforeRead) {
        if (invalidation.deleted(id)) {
            return Future.failedFuture(HttpError.notFound("no image with id " + id));
        }
        Entry entry;
        boolean start = false;
        synchronized (this) {
            entry = loaded.get(id);
            // A copy read before a purge or delete is not lent out after it.
            if (entry == null || !invalidation.current(id, entry.ticket)) {
                entry = new Entry(invalidation.ticket(), beforeRead);
                loaded.put(id, entry);
                start = true;
            }
            entry.leases++;
        }
        Entry mine = entry;
        if (start) {
            try {
                blocking.executor().execute(() -> load(id, mine));
            } catch (RuntimeException e) { // shutting down
                mine.source.completeExceptionally(e);
            }
        }
        return Future.fromCompletionStage(mine.source, context).transform(done -> {
            if (done.failed()) {
                release(id, mine);
                return Future.failedFuture(done.cause());
            }
            return Future.succeededFuture(new Lease(id, mine, done.result()));
        });
    }

    /** Reads an original's header only (for negotiation and {@code GET /images/<id>}), through the same gate. */
    Future<SourceInfo> peek(Context context, ImageId id) {
        return acquire(context, id).map(lease -> {
            lease.close();
            return lease.source().info();
        });
    }

    private void load(ImageId id, Entry entry) {
        try {
            long start = System.nanoTime();
            Original original = store.fetch(id, size -> reserve(entry, size))
                    .orElseThrow(() -> HttpError.notFound("no image with id " + id));
            metrics.fetched(System.nanoTime() - start, original.bytes().length);
            // A header parse: no pixels are decoded, so it is cheap enough for an I/O thread.
            SourceInfo info = renderer.inspect(original.bytes());
            invalidation.write(id, entry.ticket, () -> infos.put(id, info), () -> infos.invalidate(id));
            entry.source.complete(new Source(original.bytes(), info));
        } catch (Throwable t) {
            entry.source.completeExceptionally(t);
        }
    }

    /**
     * The size gate: runs before the original's bytes are read (again, if a store retries or
     * finds more than it said: the reservation is replaced, never added to).
     */
    private long reserve(Entry entry, long size) {
        if (size > maxOriginalBytes) {
            throw new HttpError(422, "the original is " + size + " bytes, over the limit of " + maxOriginalBytes
                    + " bytes (IMGORIGIN_MAX_ORIGINAL_BYTES)");
        }
        long bytes = size < 0 ? maxOriginalBytes : size;
        synchronized (this) {
            long others = inMemory - entry.reserved;
            if (others > 0 && others + bytes > budgetBytes) {
                throw new HttpError(429, "too many large originals are being read; retry shortly");
            }
            inMemory = others + bytes;
            entry.reserved = bytes;
        }
        entry.beforeRead.run();
        return maxOriginalBytes;
    }

    private synchronized void release(ImageId id, Entry entry) {
        if (--entry.leases > 0) {
            return;
        }
        if (loaded.get(id) == entry) {
            loaded.remove(id);
        }
        inMemory -= entry.reserved;
        entry.reserved = 0;
    }
}
