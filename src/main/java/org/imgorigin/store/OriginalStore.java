package org.imgorigin.store;

import java.util.Optional;
import org.imgorigin.image.ImageId;

/**
 * Where originals live, keyed by {@link ImageId#storageKey()}. Implementations block: callers
 * run them on virtual threads, never on an event loop.
 */
public interface OriginalStore extends AutoCloseable {

    /** The original's bytes, or empty when there is none with that id. */
    Optional<Original> fetch(ImageId id) throws StoreException;

    /** Whether an original with that id is stored, without reading it. */
    boolean exists(ImageId id) throws StoreException;

    /** Stores an original; readers never see a partial object. */
    void put(ImageId id, byte[] bytes, String contentType) throws StoreException;

    /** Deletes an original; true if there was one. */
    boolean delete(ImageId id) throws StoreException;

    /** Forgets any copy of the original kept on this node (a purge); the store itself is untouched. */
    default void evictLocalCopy(ImageId id) {
    }

    /** Throws when the store does not answer (for {@code /readyz}). */
    void check() throws StoreException;

    /** A short description for logs, e.g. {@code file:/srv/originals} or {@code s3://bucket/prefix}. */
    String describe();

    @Override
    default void close() {
    }
}
