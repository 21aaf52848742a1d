package org.imgorigin.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.StoreException;

/**
 * Deletes told to every node that shares the original store. A delete through one node
 * appends {@code <millis>-deleted-<id>} to the store's journal once the store has deleted the
 * original; every node reads the journal at start, before it serves, and every few seconds
 * after, and removes its copies of each image named ({@link Invalidation#readJournal}). A
 * node that was down during a delete, or that a delete never reached, then does not serve the
 * image from its caches afterwards.
 *
 * <p>Names sort by time, since the stamp leads. A read lists the entries from the previous
 * read's start minus {@link #SKEW} (a writer's clock may be behind ours, and an entry stamped
 * just before a read may land just after it), and skips the names it has already handled in
 * that window. Where reading stopped is kept in a small file, so a restart reads what was
 * written while the node was down; with no file (a new cache directory, or one from before
 * the journal) it reads the whole {@link Invalidation#TOMBSTONE_LIFETIME}. Entries older than
 * that are removed by whichever node finds them, once an hour.
 *
 * <p>One thread reads (the server's journal thread, or a test); any thread may {@link #record}.
 */
final class DeleteJournal {
    private static final Logger LOG = Logger.getLogger(DeleteJournal.class.getName());
    /** How far behind our clock another node's may be, and how long an entry may take to land. */
    static final Duration SKEW = Duration.ofMinutes(5);
    private static final String KIND = "-deleted-";
    private static final int PAGE = 1_000;
    /** At most this many pages of old entries are removed an hour, by each node. */
    private static final int PRUNE_PAGES = 10;

    /** What to do with a deleted image's copies. */
    @FunctionalInterface
    interface Apply {
        void deleted(ImageId id);
    }

    private final OriginalStore store;
    private final Optional<Path> cursorFile;
    private final Clock clock;
    private final Duration retention;
    /** Entries stamped before {@code cursor - SKEW} have been handled (clock millis). */
    private volatile long cursor;
    /** Names handled (or written here) that a read may list again: stamped within the window. */
    private final Map<String, Long> handled = new ConcurrentHashMap<>();
    private long lastPrune;
    /** The last save failed (logged once, not every interval). */
    private boolean positionUnsaved;

    DeleteJournal(OriginalStore store, Optional<Path> cursorFile, Clock clock, Duration retention) {
        this.store = store;
        this.cursorFile = cursorFile;
        this.clock = clock;
        this.retention = retention;
        Optional<Long> saved = cursorFile.flatMap(DeleteJournal::load);
        this.cursor = saved.orElse(clock.millis() - retention.toMillis());
        this.lastPrune = clock.millis(); // not on the first read, which start-up waits for
        if (saved.isPresent() && saved.get() < clock.millis() - retention.toMillis() + SKEW.toMillis()) {
            // The journal no longer holds every delete since this node last read it.
            LOG.severe("this node last read the journal of deletes at " + java.time.Instant.ofEpochMilli(saved.get())
                    + ", longer ago than the journal keeps deletes (" + retention.toDays() + " days): images deleted "
                    + "since may still be in its caches. Empty the cache directory and start it again.");
        }
    }

    /** Tells the other nodes that {@code id} was deleted. Call after the store's delete. */
    void record(ImageId id) throws StoreException {
        long now = clock.millis();
        String name = name(now, id);
        handled.put(name, now); // this node has done it already
        store.append(name);
    }

    /**
     * Hands every entry not handled yet to {@code apply}, oldest first, then moves the cursor
     * on. A store that cannot be read leaves the cursor where it was: the next read does those
     * entries again, which is harmless. {@code apply} handles its own failures: one entry
     * must not hold back the others. Returns how many were applied.
     */
    int read(Apply apply) throws StoreException {
        long start = clock.millis();
        long from = Math.max(0, cursor - SKEW.toMillis());
        String after = String.format("%013d", from);
        int applied = 0;
        // Until a page comes back empty: a store may return short pages before the end, and
        // names that are not delete entries (another kind, a stray key) take places in a page.
        for (List<String> page = store.entries(after, PAGE); !page.isEmpty(); page = store.entries(after, PAGE)) {
            for (String name : page) {
                long stamp = stamp(name);
                Optional<ImageId> id = id(name);
                if (stamp < 0 || id.isEmpty() || handled.containsKey(name)) {
                    continue;
                }
                apply.deleted(id.get());
                applied++;
                if (stamp >= start - SKEW.toMillis()) {
                    handled.put(name, stamp); // will be listed again by the next read
                }
            }
            after = page.getLast();
        }
        cursor = start;
        handled.values().removeIf(stamp -> stamp < start - SKEW.toMillis());
        save(start);
        if (start - lastPrune >= Duration.ofHours(1).toMillis()) {
            lastPrune = start;
            try {
                prune(start);
            } catch (StoreException e) {
                LOG.warning("could not remove old entries of the journal of deletes (next hour again): " + e.getMessage());
            }
        }
        return applied;
    }

    /** Removes entries older than the retention: they concern images no node may still hold. */
    private void prune(long now) throws StoreException {
        long oldest = now - retention.toMillis();
        String after = "";
        for (int pages = 0; pages < PRUNE_PAGES; pages++) {
            List<String> page = store.entries(after, PAGE);
            if (page.isEmpty()) {
                return;
            }
            for (String name : page) {
                long stamp = stamp(name);
                if (stamp < 0) {
                    continue; // not a delete entry: another kind (a newer version's), or not ours
                }
                if (stamp >= oldest) {
                    return; // names sort by stamp: the rest are younger
                }
                store.removeEntry(name);
            }
            after = page.getLast();
        }
    }

    private void save(long value) {
        if (cursorFile.isEmpty()) {
            return;
        }
        Path file = cursorFile.get();
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(temp, value + "\n", StandardCharsets.US_ASCII);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // Not fatal: a restart reads from an older position (or the whole retention) again.
            if (!positionUnsaved) {
                LOG.warning("cannot keep the journal's read position in " + file + ": " + e.getMessage());
            }
            positionUnsaved = true;
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a stray temporary on a failing disk; the next save replaces it
            }
            return;
        }
        positionUnsaved = false;
    }

    private static Optional<Long> load(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            LOG.warning("unreadable journal position in " + file + " (" + e.getMessage()
                    + "): reading the whole journal again");
            return Optional.empty();
        }
    }

    static String name(long millis, ImageId id) {
        return String.format("%013d", millis) + KIND + id.value();
    }

    /** The entry's stamp, or -1 if the name is not a delete entry of this format. */
    static long stamp(String name) {
        if (name.length() < 13 + KIND.length() || !name.startsWith(KIND, 13)) {
            return -1;
        }
        for (int i = 0; i < 13; i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(name, 0, 13, 10);
    }

    static Optional<ImageId> id(String name) {
        if (stamp(name) < 0) {
            return Optional.empty();
        }
        String id = name.substring(13 + KIND.length());
        return ImageId.isValid(id) ? Optional.of(new ImageId(id)) : Optional.empty();
    }
}
