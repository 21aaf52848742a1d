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
    private final ConcurrentHashMap<ImageId, CompletableFuture<Optional<Original>>> inFlight = new ConcurrentHashMap<>();

    public CachedOriginalStore(OriginalStore remote, DiskLru copies) {
        this.remote = remote;
        this.copies = copies;
    }

    @Override
    public Optional<Original> fetch(ImageId id) throws StoreException {
        Optional<DiskLru.Cached> local = copies.get(id.storageKey());
        if (local.isPresent()) {
            try {
                return Optional.of(new Original(Files.readAllBytes(local.get().path()), UNKNOWN_TYPE));
            } catch (IOException e) {
                copies.remove(id.storageKey()); // evicted under us: fetch again
            }
        }
        CompletableFuture<Optional<Original>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Original>> running = inFlight.putIfAbsent(id, mine);
        if (running != null) {
            return await(running);
        }
        try {
            Optional<Original> original = remote.fetch(id);
            original.ifPresent(o -> {
                try {
                    copies.put(id.storageKey(), o.bytes());
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not keep a local copy of original " + id, e);
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

    /** Drops this node's copy of an original (a purge), so the next render reads the bucket. */
    @Override
    public void evictLocalCopy(ImageId id) {
        copies.remove(id.storageKey());
    }

    @Override
    public void put(ImageId id, byte[] bytes, String contentType) throws StoreException {
        remote.put(id, bytes, contentType);
    }

    @Override
    public boolean delete(ImageId id) throws StoreException {
        copies.remove(id.storageKey());
        return remote.delete(id);
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
