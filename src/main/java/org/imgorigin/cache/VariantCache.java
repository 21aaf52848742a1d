package org.imgorigin.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.util.Optional;
import org.imgorigin.image.ImageId;

/**
 * The rendered-variant tiers: a Caffeine memory tier bounded by bytes for small hot variants,
 * and the {@link DiskLru} disk tier laid out as the README's Storage layout says.
 *
 * <p>Lookup order depends on the deployment. Behind nginx ({@code preferDisk}), a variant on
 * disk leaves through nginx's sendfile and costs the JVM a few headers, which is cheaper
 * than copying it from memory; so the disk is asked first and memory only bridges the
 * moment between a render and its file. Served directly, memory is asked first.
 */
public final class VariantCache {
    private final Optional<Cache<VariantKey, byte[]>> memory;
    private final long maxMemoryEntry;
    private final DiskLru disk;
    private final boolean preferDisk;

    public VariantCache(long memoryBytes, DiskLru disk, boolean preferDisk) {
        // One variant may take at most 1/16 of the memory tier: it is for small hot variants.
        this.maxMemoryEntry = memoryBytes / 16;
        this.memory = memoryBytes <= 0 ? Optional.empty() : Optional.of(Caffeine.newBuilder()
                .maximumWeight(memoryBytes)
                .weigher((VariantKey k, byte[] v) -> v.length + 128)
                .build());
        this.disk = disk;
        this.preferDisk = preferDisk;
    }

    /**
     * Cheap enough for an event loop: a map lookup per tier, and no file system call unless
     * {@code verify} asks for a disk hit whose file is known to exist (one stat, so only off
     * the event loop: behind nginx, when nginx says the file it was pointed at is gone,
     * {@code X-Imgorigin-Missing}). Served directly, the caller opens the file off the loop
     * and {@link #forgetFile} a file that is gone.
     */
    public Optional<Hit> lookup(VariantKey key, boolean verify) {
        if (preferDisk) {
            Optional<Hit> onDisk = fromDisk(key, verify);
            return onDisk.isPresent() ? onDisk : fromMemory(key);
        }
        Optional<Hit> inMemory = fromMemory(key);
        return inMemory.isPresent() ? inMemory : fromDisk(key, false);
    }

    private Optional<Hit> fromMemory(VariantKey key) {
        return memory.map(m -> m.getIfPresent(key)).map(Hit.Memory::new);
    }

    /**
     * A disk hit; verified, one whose file still exists. A file deleted behind the index (by
     * hand, by a clean-up job) is then forgotten and rendered again.
     */
    private Optional<Hit> fromDisk(VariantKey key, boolean verify) {
        String relative = key.relativePath();
        Optional<DiskLru.Cached> cached = disk.get(relative);
        if (verify && cached.isPresent() && !java.nio.file.Files.isRegularFile(cached.get().path())) {
            disk.remove(relative);
            return Optional.empty();
        }
        return cached.map(c -> new Hit.Disk(c.path(), c.size(), relative));
    }

    /** Keeps a fresh render in memory at once. */
    public void remember(VariantKey key, byte[] bytes) {
        if (bytes.length <= maxMemoryEntry) {
            // A bare copy of the key: the request's own carries its memoised name, path and
            // ETag, which the weigher's 128 bytes per entry do not count.
            memory.ifPresent(m -> m.put(new VariantKey(key.id(), key.transformation(), key.format()), bytes));
        }
    }

    /** Takes a fresh render back out of memory (a purge raced it). */
    public void forget(VariantKey key) {
        memory.ifPresent(m -> m.invalidate(key)); // equality ignores the memoised strings
    }

    /** A disk hit whose file turned out to be gone (deleted behind the index): forget it. */
    public void forgetFile(Hit.Disk hit) {
        disk.remove(hit.relativePath());
    }

    /** Writes a fresh render to the disk tier (blocking: call from a virtual thread). */
    public void persist(VariantKey key, byte[] bytes) throws IOException {
        disk.put(key.relativePath(), bytes);
    }

    /** Removes every cached variant of one image from both tiers; returns the files removed. */
    public int purge(ImageId id) throws IOException {
        memory.ifPresent(m -> m.asMap().keySet().removeIf(k -> k.id().equals(id)));
        return disk.removeUnder(id.storageKey());
    }

    public DiskLru disk() {
        return disk;
    }

    public long memoryBytes() {
        return memory.map(m -> m.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L)).orElse(0L);
    }
}
