package org.imgorigin.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Files under one root, bounded in total bytes, evicting the least recently used first.
 *
 * <p>Files are written under a temporary name in their final directory, then renamed into
 * place, so a reader (or nginx) never sees half a file and a crash leaves only temporaries,
 * which {@link #rebuild()} deletes. Recency survives restarts through the files' modification
 * times: a hit refreshes the time at most once per {@link #TOUCH_INTERVAL}, and the index is
 * rebuilt oldest first. Blocking: call from virtual threads.
 */
public final class DiskLru {
    private static final Logger LOG = Logger.getLogger(DiskLru.class.getName());
    static final String TEMP_PREFIX = ".tmp-";
    /**
     * This process's mark in its temporaries' names: a temporary without it was left by an
     * earlier process (a crash) and is deleted by the rebuild; one with it is a write in
     * progress, and stays.
     */
    static final String NONCE = Long.toHexString(new java.security.SecureRandom().nextLong() | 1L << 60);
    static final Duration TOUCH_INTERVAL = Duration.ofMinutes(10);
    private static final int MERGE_BATCH = 2048;

    private final Path root;
    private final long maxBytes;
    private final Clock clock;
    private final java.util.concurrent.Executor io;
    private final java.util.Set<String> excluded;
    /** Relative path → entry, in access order: the first entry is the least recently used. */
    private final LinkedHashMap<String, Entry> index = new LinkedHashMap<>(1024, 0.75f, true);
    /**
     * Directory → the indexed files in it: one image's variants share a directory, so a purge
     * costs that image's files, not a scan of the whole index under the lock every lookup takes.
     */
    private final Map<String, java.util.Set<String>> byDirectory = new java.util.HashMap<>();
    /** Bytes the indexed files take on disk: sizes rounded up to whole blocks. */
    private long totalBytes;
    /**
     * Files removed while the rebuild walks: the walk may have seen them, and must not index
     * them again. Guarded by this; null once rebuilt.
     */
    private java.util.Set<String> removedWhileRebuilding = new java.util.HashSet<>();
    private volatile boolean rebuilt;
    /** Why the last write failed (the file system's words), or null once a write succeeds again. */
    private volatile String writeProblem;

    private static final class Entry {
        final long size;
        long touched;

        Entry(long size, long touched) {
            this.size = size;
            this.touched = touched;
        }

        /** What the file costs the disk: file systems allocate whole blocks (4 KiB here and almost everywhere). */
        long blocks() {
            return (size + BLOCK - 1) / BLOCK * BLOCK;
        }
    }

    static final long BLOCK = 4096;

    /** Adds or replaces an entry; the caller holds the lock. */
    private void index(String relative, Entry entry) {
        Entry old = index.put(relative, entry);
        totalBytes += entry.blocks() - (old == null ? 0 : old.blocks());
        if (old == null) {
            byDirectory.computeIfAbsent(directoryOf(relative), d -> new java.util.HashSet<>()).add(relative);
        }
    }

    /** Removes an entry; the caller holds the lock. */
    private Entry unindex(String relative) {
        if (removedWhileRebuilding != null) {
            removedWhileRebuilding.add(relative);
        }
        Entry old = index.remove(relative);
        if (old != null) {
            totalBytes -= old.blocks();
            String dir = directoryOf(relative);
            java.util.Set<String> files = byDirectory.get(dir);
            if (files != null && files.remove(relative) && files.isEmpty()) {
                byDirectory.remove(dir);
            }
        }
        return old;
    }

    private static String directoryOf(String relative) {
        int slash = relative.lastIndexOf('/');
        return slash < 0 ? "" : relative.substring(0, slash);
    }

    /** {@code io} runs the occasional recency touch, so a hit itself never waits on the disk. */
    public DiskLru(Path root, long maxBytes, Clock clock, java.util.concurrent.Executor io) {
        this(root, maxBytes, clock, io, java.util.Set.of());
    }

    /** {@code excluded}: top-level directories under the root that belong to someone else. */
    public DiskLru(Path root, long maxBytes, Clock clock, java.util.concurrent.Executor io,
            java.util.Set<String> excluded) {
        this.excluded = excluded;
        this.root = root.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.io = io;
    }

    public Path root() {
        return root;
    }

    /**
     * Indexes what is on disk, oldest first, deleting temporaries and empty files that a crash
     * left behind, then trims to the bound. Until it finishes, lookups fall back to the disk.
     */
    public void rebuild() throws IOException {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw failed(e);
        }
        record Found(String relative, long size, long modified) {
        }
        List<Found> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.getParent() != null && dir.getParent().equals(root)
                        && excluded.contains(dir.getFileName().toString())
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = file.getFileName().toString();
                boolean leftover = name.startsWith(TEMP_PREFIX) && !name.startsWith(TEMP_PREFIX + NONCE);
                if (leftover || (attrs.size() == 0 && !name.startsWith(TEMP_PREFIX))) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException e) {
                        failed(e); // a read-only disk: never served (not indexed), deleted once writable
                    }
                } else if (attrs.isRegularFile() && !name.startsWith(TEMP_PREFIX)) {
                    found.add(new Found(root.relativize(file).toString(), attrs.size(),
                            attrs.lastModifiedTime().toMillis()));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort((a, b) -> Long.compare(a.modified(), b.modified()));
        // Merged in batches: lookups on the event loops take the same lock, and must never
        // wait for the whole of a large cache (770,000 files at the default 10 GiB).
        for (int from = 0; from < found.size(); from += MERGE_BATCH) {
            synchronized (this) {
                for (Found f : found.subList(from, Math.min(found.size(), from + MERGE_BATCH))) {
                    if (!index.containsKey(f.relative()) && !removedWhileRebuilding.contains(f.relative())) {
                        index(f.relative(), new Entry(f.size(), f.modified()));
                    }
                }
            }
        }
        synchronized (this) {
            removedWhileRebuilding = null;
            rebuilt = true;
        }
        deleteAll(trim());
    }

    /**
     * The file for a relative path, if cached; a hit makes it the most recently used. Cheap
     * (an index lookup) once {@link #rebuild()} has finished; before that, one stat.
     */
    public Optional<Cached> get(String relative) {
        Path file = resolve(relative);
        Entry entry;
        boolean touch = false;
        long now = clock.millis();
        synchronized (this) {
            entry = index.get(relative);
            if (entry != null && now - entry.touched > TOUCH_INTERVAL.toMillis()) {
                entry.touched = now;
                touch = true;
            }
        }
        if (entry == null) {
            if (rebuilt) {
                return Optional.empty();
            }
            // Still indexing after a restart: the disk itself answers.
            try {
                long size = Files.size(file);
                if (size == 0) {
                    return Optional.empty();
                }
                adopt(relative, size);
                return Optional.of(new Cached(file, size));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (touch) {
            io.execute(() -> {
                try {
                    Files.setLastModifiedTime(file, FileTime.fromMillis(now));
                } catch (IOException e) {
                    // Deleted under us (by hand, or a purge racing this hit): forget it.
                    remove(relative);
                }
            });
        }
        return Optional.of(new Cached(file, entry.size));
    }

    /** A cached file and its size. */
    public record Cached(Path path, long size) {
    }

    /** Writes {@code bytes} at the relative path atomically and indexes it, evicting as needed. */
    public void put(String relative, byte[] bytes) throws IOException {
        put(relative, out -> out.write(bytes));
    }

    /** The content of a file being written; throwing abandons the write and leaves no file. */
    @FunctionalInterface
    public interface Writer {
        void write(java.io.OutputStream out) throws IOException;
    }

    public void put(String relative, Writer writer) throws IOException {
        if (maxBytes <= 0) {
            return; // a zero bound turns the tier off
        }
        Path target = resolve(relative);
        try {
            write(target, writer);
        } catch (NoSuchFileException e) {
            // A purge emptied the directory under this write: a lost race, not a disk fault.
            throw e;
        } catch (IOException e) {
            throw failed(e);
        }
        writeProblem = null;
        adopt(relative, Files.size(target));
    }

    private static void write(Path target, Writer writer) throws IOException {
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling(TEMP_PREFIX + NONCE + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (var out = Files.newOutputStream(temp)) {
                writer.write(out);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the cache directory must support atomic renames", e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Why writing into the cache fails now (e.g. "No space left on device", "Read-only file
     * system"), or empty while writes succeed. Set by a failed write, cleared by the next
     * successful one or by {@link #probe()}.
     */
    public Optional<String> writeProblem() {
        return Optional.ofNullable(writeProblem);
    }

    /**
     * Writes and deletes a one-byte file at the root to learn whether the disk takes writes
     * again, when nothing else is being written; returns {@link #writeProblem()}. Blocking.
     */
    public Optional<String> probe() {
        if (maxBytes <= 0) {
            return Optional.empty();
        }
        try {
            Path probe = root.resolve(TEMP_PREFIX + NONCE + "-probe-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            write(probe, out -> out.write(0));
            Files.delete(probe);
            writeProblem = null;
        } catch (IOException e) {
            failed(e);
        }
        return writeProblem();
    }

    private IOException failed(IOException e) {
        writeProblem = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                ? fs.getReason() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return e;
    }

    /** Removes every file under a relative directory (one image's variants); returns how many. */
    public int removeUnder(String relativeDirectory) throws IOException {
        String prefix = relativeDirectory.endsWith("/") ? relativeDirectory : relativeDirectory + "/";
        synchronized (this) {
            java.util.Set<String> files = byDirectory.get(prefix.substring(0, prefix.length() - 1));
            if (files != null) {
                for (String relative : List.copyOf(files)) {
                    unindex(relative);
                }
            }
        }
        // The disk is the truth: files not yet indexed (during a rebuild) go too.
        Path dir = resolve(prefix);
        int removed = 0;
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (Files.isRegularFile(file) && Files.deleteIfExists(file) && !name.startsWith(TEMP_PREFIX)) {
                        removed++;
                        synchronized (this) {
                            if (removedWhileRebuilding != null) {
                                removedWhileRebuilding.add(prefix + name);
                            }
                        }
                    }
                }
            }
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // A write raced us into the directory; it stays.
            }
        }
        return removed;
    }

    /** Removes one file. */
    public boolean remove(String relative) {
        synchronized (this) {
            unindex(relative);
        }
        try {
            return Files.deleteIfExists(resolve(relative));
        } catch (IOException e) {
            return false;
        }
    }

    public synchronized long totalBytes() {
        return totalBytes;
    }

    public synchronized int size() {
        return index.size();
    }

    private void adopt(String relative, long size) {
        synchronized (this) {
            index(relative, new Entry(size, clock.millis()));
        }
        deleteAll(trim());
    }

    /** Indexes a file without writing it (tests of large indexes). */
    void adoptForTest(String relative, long size) {
        synchronized (this) {
            index(relative, new Entry(size, clock.millis()));
        }
    }

    /** Unlinks the least recently used entries until the total fits; returns the files to delete. */
    private synchronized List<String> trim() {
        List<String> victims = new ArrayList<>();
        Iterator<Map.Entry<String, Entry>> it = index.entrySet().iterator();
        long remaining = totalBytes;
        while (remaining > maxBytes && it.hasNext()) {
            Map.Entry<String, Entry> eldest = it.next();
            remaining -= eldest.getValue().blocks();
            victims.add(eldest.getKey());
        }
        victims.forEach(this::unindex);
        return victims;
    }

    private void deleteAll(List<String> relatives) {
        for (String relative : relatives) {
            try {
                Files.deleteIfExists(resolve(relative));
            } catch (NoSuchFileException ignored) {
                // Already gone.
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cache eviction could not delete " + relative, e);
            }
        }
    }

    /** The absolute path of a relative one, refusing anything that would leave the root. */
    Path resolve(String relative) {
        Path path = root.resolve(relative).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new UncheckedIOException(new IOException("path escapes the cache root: " + relative));
        }
        return path;
    }
}
