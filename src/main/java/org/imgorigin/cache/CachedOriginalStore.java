package org.imgorigin.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.Original;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.StoreException;

/**
 * A remote store (S3) with local disk copies of recently fetched originals, bounded by
 * {@code IMGORIGIN_ORIGINALS_CACHE_BYTES}: the widths of one {@code srcset} asked at once
 * cost one GET, and later variants of the same image none. Concurrent fetches of one id
 * share one GET. Originals never change (their id is their hash), so a copy is never stale.
 */
public final class CachedOriginalStore implements OriginalStore {
    private static final Logger LOG = Logger.getLogger(CachedOriginalStore.class.getName());
    private static final String UNKNOWN_TYPE = "application/octet-stream";

    private final OriginalStore remote;
    private final DiskLru copies;
    private final Invalidation invalidation;
    private final ConcurrentHashMap<ImageId, CompletableFuture<Optional<Original>>> inFlight = new ConcurrentHashMap<>();

    /** Registers its local copies with {@code invalidation}: a purge or delete drops them. */
    public CachedOriginalStore(OriginalStore remote, DiskLru copies, Invalidation invalidation) {
        this.remote = remote;
        this.copies = copies;
        this.invalidation = invalidation;
        invalidation.register(id -> copies.remove(id.storageKey()) ? 1 : 0);
    }

    @Override
    public Optional<Original> fetch(ImageId id, SizeGate gate) throws StoreException {
        Optional<DiskLru.Cached> local = copies.get(id.storageKey());
        if (local.isPresent()) {
            try (var channel = java.nio.channels.FileChannel.open(local.get().path())) {
                long size = channel.size();
                gate.admit(size);
                java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(Math.toIntExact(size));
                while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                    // the whole copy
                }
                if (!bytes.hasRemaining()) {
                    return Optional.of(new Original(bytes.array(), UNKNOWN_TYPE));
                }
                copies.remove(id.storageKey()); // cut short under us: fetch again
            } catch (java.nio.file.NoSuchFileException e) {
                copies.remove(id.storageKey()); // evicted under us: fetch again
            } catch (IOException | ArithmeticException e) {
                // Unreadable for another reason (out of file descriptors, permissions): the copy
                // may be fine, so it stays; the bucket answers this time.
                LOG.warning(() -> "could not read the local copy of original " + id + ": " + e);
            }
        }
        CompletableFuture<Optional<Original>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Original>> running = inFlight.putIfAbsent(id, mine);
        if (running != null) {
            Optional<Original> shared = await(running);
            shared.ifPresent(o -> gate.admit(o.bytes().length));
            return shared;
        }
        // Taken before the GET: a purge or delete while it runs keeps its copy off the disk.
        long ticket = invalidation.ticket();
        try {
            Optional<Original> original = remote.fetch(id, gate);
            original.ifPresent(o -> {
                try {
                    invalidation.write(id, ticket, () -> copies.put(id.storageKey(), o.bytes()),
                            () -> copies.remove(id.storageKey()));
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not keep a local copy of original " + id + ": " + e.getMessage());
                }
            });
            mine.complete(original);
            return original;
        } catch (StoreException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(id, mine);
        }
    }

    private static Optional<Original> await(CompletableFuture<Optional<Original>> running) throws StoreException {
        try {
            return running.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(StoreException.Kind.FAILED, "interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re; // e.g. the leader's size gate refused: the same answer, not a store failure
            }
            throw new StoreException(StoreException.Kind.FAILED, "fetch failed", e.getCause());
        }
    }

    /**
     * Asks the bucket, never the local copy: an upload is answered "already stored" on the
     * strength of this, and a copy can outlive its original (deleted through another node),
     * which would acknowledge an upload that nothing stored.
     */
    @Override
    public boolean exists(ImageId id) throws StoreException {
        return remote.exists(id);
    }

    @Override
    public void put(ImageId id, byte[] bytes, String contentType) throws StoreException {
        remote.put(id, bytes, contentType);
    }

    @Override
    public boolean delete(ImageId id) throws StoreException {
        copies.remove(id.storageKey()); // Invalidation drops it too; a direct caller should not keep it
        return remote.delete(id);
    }

    @Override
    public void append(String name) throws StoreException {
        remote.append(name);
    }

    @Override
    public java.util.List<String> entries(String startAfter, int max) throws StoreException {
        return remote.entries(startAfter, max);
    }

    @Override
    public void removeEntry(String name) throws StoreException {
        remote.removeEntry(name);
    }

    @Override
    public void check() throws StoreException {
        remote.check();
    }

    @Override
    public String describe() {
        return remote.describe() + " (local copies in " + copies.root() + ")";
    }

    @Override
    public void close() {
        remote.close();
    }
}
