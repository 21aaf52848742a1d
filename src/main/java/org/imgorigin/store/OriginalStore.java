package org.imgorigin.store;

import java.util.List;
import java.util.Optional;
import org.imgorigin.image.ImageId;

/**
 * Where originals live, keyed by {@link ImageId#storageKey()}. Implementations block: callers
 * run them on virtual threads, never on an event loop.
 */
public interface OriginalStore extends AutoCloseable {

    /**
     * The original's bytes, or empty when there is none with that id. {@code gate} is shown
     * the original's size before its bytes are read, and may throw (an unchecked exception,
     * passed on to the caller) to leave them unread: a size cap, or a budget of memory.
     */
    Optional<Original> fetch(ImageId id, SizeGate gate) throws StoreException;

    /** The original's bytes, whatever their size. */
    default Optional<Original> fetch(ImageId id) throws StoreException {
        return fetch(id, bytes -> Long.MAX_VALUE);
    }

    /** Sees an original's size before its bytes are read. */
    @FunctionalInterface
    interface SizeGate {
        /**
         * Throws (unchecked) to refuse reading {@code bytes} bytes (-1: the store does not
         * know); returns the most bytes the store may read. A store that finds more than it
         * was told shows the gate the real size again.
         */
        long admit(long bytes);
    }

    /** Whether an original with that id is stored, without reading it. */
    boolean exists(ImageId id) throws StoreException;

    /** Stores an original; readers never see a partial object. */
    void put(ImageId id, byte[] bytes, String contentType) throws StoreException;

    /** Deletes an original; true if there was one. */
    boolean delete(ImageId id) throws StoreException;

    /**
     * Adds an empty entry named {@code name} to the store's journal ({@code journal/<name>}
     * beside the originals), which every node sharing the store reads: how a delete through one
     * node reaches the others ({@code cache/DeleteJournal}). Names are short ASCII without '/'.
     */
    void append(String name) throws StoreException;

    /**
     * The names in the journal after {@code startAfter}, in name order, at most {@code max}
     * (fewer is not the end: an empty list is). Whatever is there is listed, names this
     * program did not write included; the caller skips what it does not know.
     */
    List<String> entries(String startAfter, int max) throws StoreException;

    /** Removes a journal entry; one already gone is no error. */
    void removeEntry(String name) throws StoreException;

    /** Throws when the store does not answer (for {@code /readyz}). */
    void check() throws StoreException;

    /** A short description for logs, e.g. {@code file:/srv/originals} or {@code s3://bucket/prefix}. */
    String describe();

    @Override
    default void close() {
    }
}
