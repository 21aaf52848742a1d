package org.imgorigin.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.StoreException;

/**
 * The one owner of "an image's copies are no longer good": a purge (its variants may be
 * stale, or it was deleted through another node) and a delete (of the original too).
 *
 * <p>Work that makes copies — an S3 GET that keeps a local copy, a render that fills the
 * tiers — takes a {@link #ticket()} before it starts and writes through
 * {@link #write(ImageId, long, Write, Runnable)}. An invalidation first raises a fence for
 * the id, then removes the copies from every {@link Tier}. A write whose work began before the
 * fence is refused; one that lands while the fence goes up is checked again after it lands
 * and undone. So whichever way a render, a fetch and a purge interleave, no copy made before
 * the purge outlives it.
 *
 * <p>A delete also leaves a {@link Tombstones tombstone}, written to disk before anything
 * else: the image is refused (404) on this node even if a copy survived somewhere (a crash
 * mid-delete, a read-only disk), until an upload of the same bytes brings it back. After a
 * restart the copies of every tombstoned image are removed again.
 *
 * <p>Other nodes learn of a delete from the store's journal ({@link DeleteJournal}): the
 * delete appends an entry once the store has deleted the original, and every node
 * {@link #readJournal reads} the journal at start and every few seconds, removing its copies
 * of each image named. They keep no tombstone for it: the original is gone from the store, so
 * nothing can be made again from it, and an upload of the same bytes through any node makes
 * it visible everywhere at once.
 */
public final class Invalidation implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Invalidation.class.getName());
    /** How long a fence lasts: far longer than a render (its time limit) or a fetch (its timeouts) can run. */
    static final Duration FENCE_LIFETIME = Duration.ofMinutes(15);
    /** How long a delete is remembered; see {@link Tombstones}. */
    static final Duration TOMBSTONE_LIFETIME = Duration.ofDays(30);

    /** A place that keeps copies of images; {@link #drop} removes one image's and says how many files went. */
    @FunctionalInterface
    public interface Tier {
        int drop(ImageId id) throws IOException;
    }

    /** A write of a copy. */
    @FunctionalInterface
    public interface Write<E extends Exception> {
        void run() throws E;
    }

    private final OriginalStore store;
    private final Tombstones tombstones;
    private final List<Tier> tiers = new CopyOnWriteArrayList<>();
    private final List<Tier> variantTiers = new CopyOnWriteArrayList<>();
    private final Composites composites;
    private final DeleteJournal journal;
    private final AtomicLong clock = new AtomicLong();
    /** Tickets below this are stale: a fence that was forgotten (expired or evicted) may have covered them. */
    private volatile long floor;
    /** Id → its newest fence and when it went up (clock millis). Swept under {@link #sweep}'s lock. */
    private final ConcurrentHashMap<ImageId, long[]> fences = new ConcurrentHashMap<>();
    /** Ids whose copies are being removed now: no write is current while that runs. */
    private final ConcurrentHashMap<ImageId, Integer> dropping = new ConcurrentHashMap<>();
    private final Clock wallClock;
    /** Tombstoned ids → when the store was last asked whether they came back (clock millis). */
    private final ConcurrentHashMap<ImageId, Long> rechecked = new ConcurrentHashMap<>();
    /** How often, at most, a tombstoned image is looked for in the store. */
    static final Duration RECHECK = Duration.ofSeconds(10);
    private static final int RECHECKS_AT_ONCE = 4;
    private final java.util.concurrent.Semaphore rechecking = new java.util.concurrent.Semaphore(RECHECKS_AT_ONCE);
    private long lastSweep;

    /**
     * {@code store}: where originals live, for deletes. {@code tombstoneFile}: where deletes
     * are remembered across restarts (empty: in memory only).
     */
    public Invalidation(OriginalStore store, Optional<Path> tombstoneFile, Clock clock) {
        this(store, tombstoneFile, Optional.empty(), Optional.empty(), clock);
    }

    /**
     * As above; {@code compositesDirectory}: where the images that variants drew as layers are
     * remembered across restarts, a file per layer listing the images drawn on (empty: in
     * memory only). {@code journalPosition}: where this node keeps how far it has read the
     * store's journal of deletes (empty: in memory only; a new instance reads the whole
     * {@link #TOMBSTONE_LIFETIME} again).
     */
    public Invalidation(OriginalStore store, Optional<Path> tombstoneFile, Optional<Path> compositesDirectory,
            Optional<Path> journalPosition, Clock clock) {
        this.store = store;
        this.journal = new DeleteJournal(store, journalPosition, clock, TOMBSTONE_LIFETIME);
        this.tombstones = new Tombstones(tombstoneFile, clock, TOMBSTONE_LIFETIME);
        this.wallClock = clock;
        this.composites = new Composites(compositesDirectory);
    }

    /** Registers a place that keeps copies; every purge and delete empties it of the image. */
    public void register(Tier tier) {
        tiers.add(tier);
    }

    /**
     * Registers the place that keeps variants: every purge and delete empties it of the image,
     * and of every variant of another image that drew it as a layer ({@link #composedOf}).
     */
    public void registerVariants(Tier tier) {
        tiers.add(tier);
        variantTiers.add(tier);
    }

    /**
     * Before a variant of {@code base} that draws {@code layers} is kept: remembers (on disk)
     * that a purge or delete of any of them removes {@code base}'s variants too. Recorded before
     * the variant is written, so no purge can miss it; what a purge races is refused by its
     * fence, as for any write ({@link #write(ImageId, List, long, Write, Runnable)}).
     */
    public void composedOf(ImageId base, List<ImageId> layers) throws IOException {
        for (ImageId layer : layers) {
            composites.record(layer, base);
        }
    }

    /** {@link #current(ImageId, long)} for a variant of {@code id} that draws {@code layers}: all current. */
    public boolean current(ImageId id, List<ImageId> layers, long ticket) {
        if (!current(id, ticket)) {
            return false;
        }
        for (ImageId layer : layers) {
            if (!current(layer, ticket)) {
                return false;
            }
        }
        return true;
    }

    /** {@link #write(ImageId, long, Write, Runnable)} of a variant that draws {@code layers}. */
    public <E extends Exception> boolean write(ImageId id, List<ImageId> layers, long ticket, Write<E> write,
            Runnable undo) throws E {
        if (!current(id, layers, ticket)) {
            return false;
        }
        write.run();
        if (current(id, layers, ticket)) {
            return true;
        }
        undo.run();
        return false;
    }

    /** Taken before work that may make copies of an image starts. */
    public long ticket() {
        return clock.get();
    }

    /** Whether copies made by work that began at {@code ticket} may still be kept. */
    public boolean current(ImageId id, long ticket) {
        if (ticket < floor || dropping.containsKey(id) || tombstones.contains(id)) {
            return false;
        }
        long[] fence = fences.get(id);
        return fence == null || fence[0] <= ticket;
    }

    /**
     * Writes a copy made by work that began at {@code ticket}, unless the image was purged or
     * deleted since; a write that raced an invalidation is undone. True if the copy stands.
     */
    public <E extends Exception> boolean write(ImageId id, long ticket, Write<E> write, Runnable undo) throws E {
        if (!current(id, ticket)) {
            return false;
        }
        write.run();
        if (current(id, ticket)) {
            return true;
        }
        undo.run();
        return false;
    }

    /**
     * Whether the image was deleted through this node and not uploaded again since. An upload
     * of the same bytes through another node puts the original back in the store without
     * telling this one: so a tombstone whose delete is done is checked against the store, in
     * the background, at most once a {@link #RECHECK} per image, and lifted when the store has
     * the original again (the asking request still gets its 404; later ones are served).
     */
    public boolean deleted(ImageId id) {
        if (!tombstones.contains(id)) {
            return false;
        }
        if (tombstones.completed(id)) {
            long now = wallClock.millis();
            Long last = rechecked.get(id);
            if ((last == null || now - last >= RECHECK.toMillis())
                    && (last == null ? rechecked.putIfAbsent(id, now) == null : rechecked.replace(id, last, now))
                    && rechecking.tryAcquire()) {
                // At most RECHECKS_AT_ONCE HEADs in flight, whatever ids clients ask for.
                Thread.ofVirtual().name("imgorigin-tombstone-check").start(() -> {
                    try {
                        liftIfBack(id);
                    } finally {
                        rechecking.release();
                    }
                });
            }
            if (rechecked.size() > 100_000) {
                rechecked.clear(); // ids of expired tombstones; forgetting only allows one more check
            }
        }
        return true;
    }

    /**
     * Lifts the tombstone of a finished delete whose original is in the store again (uploaded
     * through another node). Blocking: a store HEAD. Returns whether the image is deleted here
     * still.
     */
    public boolean liftIfBack(ImageId id) {
        try {
            if (tombstones.completed(id) && store.exists(id) && tombstones.completed(id)) {
                tombstones.remove(id);
                rechecked.remove(id);
                LOG.info(() -> "image " + id + ", deleted here, was uploaded again through another node: served again");
            }
        } catch (StoreException e) {
            // The next request after RECHECK asks again.
        }
        return tombstones.contains(id);
    }

    /** Drops every copy of the image on this node; the original stays. Returns the variant files removed. */
    public int purge(ImageId id) throws IOException {
        return dropEverywhere(id);
    }

    /**
     * Deletes the original and every copy on this node: tombstone first (on disk), then the
     * store, then the journal entry that tells the other nodes, then the copies. Returns
     * whether anything existed. Any failure is thrown after the copies went; the client
     * retries, and a retry writes the journal entry even when the original is gone already.
     */
    public boolean delete(ImageId id) throws IOException, StoreException {
        // A retry of a delete that failed half-way (the store, or the journal) finishes it: 204.
        boolean unfinished = tombstones.contains(id) && !tombstones.completed(id);
        tombstones.add(id);
        int[] dropped = {0};
        boolean existed;
        try {
            existed = store.delete(id);
            journal.record(id);
            tombstones.complete(id);
        } finally {
            // The copies go even when the store failed: the node refuses the image from now
            // on (the tombstone), and the client, told of the failure, retries the delete.
            dropped[0] = dropEverywhere(id);
        }
        return existed || unfinished || dropped[0] > 0;
    }

    /** An upload of the image: it is no longer deleted. Call once it is stored. */
    public void undelete(ImageId id) {
        tombstones.remove(id);
        rechecked.remove(id);
    }

    /**
     * Removes this node's copies of every image deleted through another node since the last
     * read (at start: since the node last read, so also while it was down). Returns how many
     * deletes were applied; throws when the store cannot be read, leaving them for the next
     * read. One thread calls this (the server's journal thread).
     */
    public int readJournal() throws StoreException {
        return journal.read(id -> {
            if (tombstones.contains(id)) {
                return; // deleted here: done already
            }
            try {
                dropEverywhere(id);
            } catch (IOException e) {
                // A copy this node cannot remove (a failing cache disk): refuse the image here
                // as if deleted through this node, and go on with the other entries. The
                // tombstone lifts like any other if the same bytes are uploaded again.
                LOG.log(Level.WARNING, "could not remove the copies of " + id + ", deleted through another node: "
                        + "refusing it here", e);
                tombstones.add(id);
                tombstones.complete(id);
            }
        });
    }

    /** After a restart: removes again whatever copies of deleted images the disk still holds. */
    public void reapplyDeletes() {
        for (ImageId id : tombstones.ids()) {
            try {
                dropEverywhere(id);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not remove the copies of deleted image " + id, e);
            }
            // A delete cut short after the store's delete (a crash, a journal that could not be
            // written): tell the other nodes now, so the tombstone can complete and later lift.
            if (!tombstones.completed(id)) {
                try {
                    if (!store.exists(id)) {
                        journal.record(id);
                        tombstones.complete(id);
                    }
                } catch (StoreException e) {
                    LOG.warning("delete of " + id + " is unfinished (" + e.getMessage() + "): retry DELETE /images/" + id);
                }
            }
        }
    }

    private void fence(ImageId id) {
        sweep();
        fences.put(id, new long[] {clock.incrementAndGet(), wallClock.millis()});
    }

    /**
     * Forgets fences older than {@link #FENCE_LIFETIME}, raising the floor to the newest of
     * them first, so forgetting can only ever refuse a write, never let one through. Past a
     * million live fences (a purge storm), all are forgotten the same way.
     */
    private synchronized void sweep() {
        long now = wallClock.millis();
        if (now - lastSweep < 10_000 && fences.size() < 1_000_000) {
            return;
        }
        lastSweep = now;
        boolean all = fences.size() >= 1_000_000;
        long oldest = now - FENCE_LIFETIME.toMillis();
        long raise = floor;
        for (long[] fence : fences.values()) {
            if (all || fence[1] < oldest) {
                raise = Math.max(raise, fence[0]);
            }
        }
        long raised = raise;
        floor = raised;
        fences.values().removeIf(fence -> fence[0] <= raised);
    }

    /** Removes every copy of the image, and the variants of every image that drew it as a layer. */
    private int dropEverywhere(ImageId id) throws IOException {
        int dropped = 0;
        IOException failure = null;
        try {
            dropped += dropCopies(id);
        } catch (IOException e) {
            failure = e; // the composites still go
        }
        try {
            dropped += dropComposites(id);
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
        return dropped;
    }

    /**
     * Removes every copy of the image: while it runs no write for the id is current (work
     * that starts meanwhile may read a copy not yet removed), and afterwards a new fence
     * refuses whatever began before it ended.
     */
    private int dropCopies(ImageId id) throws IOException {
        dropping.merge(id, 1, Integer::sum);
        try {
            fence(id);
            int dropped = 0;
            IOException failure = null;
            for (Tier tier : tiers) {
                try {
                    dropped += tier.drop(id);
                } catch (IOException e) {
                    failure = e; // the other tiers still go
                }
            }
            if (failure != null) {
                throw failure;
            }
            return dropped;
        } finally {
            fence(id);
            dropping.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /**
     * After a layer's image was invalidated: the variants of every image that drew it go (all of
     * them: a variant's file name may be a digest that does not say what it drew). Outside the
     * layer's own window, so that a purge of a watermark drawn on every image does not refuse
     * every render while it walks them; renders that drew the layer before its fence are refused
     * by that fence. Each image's pair is forgotten first, then its variants removed under a
     * fence of their own: a render that recorded the pair before and writes after is refused,
     * and its retry records the pair again.
     */
    private int dropComposites(ImageId layer) throws IOException {
        int dropped = 0;
        IOException failure = null;
        for (ImageId base : composites.drawnOn(layer)) {
            composites.forget(layer, base);
            dropping.merge(base, 1, Integer::sum);
            try {
                fence(base);
                for (Tier tier : variantTiers) {
                    try {
                        dropped += tier.drop(base);
                    } catch (IOException e) {
                        failure = e;
                    }
                }
            } finally {
                fence(base);
                dropping.computeIfPresent(base, (k, n) -> n == 1 ? null : n - 1);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return dropped;
    }

    @Override
    public void close() throws IOException {
        tombstones.close();
    }
}
