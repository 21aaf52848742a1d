package org.imgorigin.faces;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The faces found per original, so that the variants of one photo (its widths, shapes and
 * formats) look for them once: at most {@code capacity} originals, the least recently used
 * forgotten first. Keys are a digest of the original's bytes with the page read and whether
 * EXIF orientation was applied. Thread-safe.
 */
public final class FaceMemory {
    /** What one original's faces are kept under. */
    public record Key(String digest, int page, boolean noRotate) {
    }

    private final int capacity;
    private final Map<Key, List<Box>> faces;

    public FaceMemory(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be 0 or more: " + capacity);
        }
        this.capacity = capacity;
        this.faces = new LinkedHashMap<>(16, 0.75f, true);
    }

    public synchronized Optional<List<Box>> get(Key key) {
        return Optional.ofNullable(faces.get(key));
    }

    public synchronized void put(Key key, List<Box> found) {
        if (capacity == 0) {
            return;
        }
        faces.put(key, List.copyOf(found));
        if (faces.size() > capacity) {
            faces.remove(faces.keySet().iterator().next());
        }
    }

    public synchronized int size() {
        return faces.size();
    }
}
