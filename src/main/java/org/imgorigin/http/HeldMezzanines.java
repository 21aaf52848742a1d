package org.imgorigin.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.vips.Pixels;

/**
 * The mezzanines made lately, with their decoded {@link Pixels}, under a bound on the bytes
 * they take (pixels and JPEG), the least recently used dropped first. Each one held keeps one
 * lease on its pixels, given back when it is dropped, replaced or removed; the memory is freed
 * once the renders still reading them end too. Least recently used, not Caffeine's
 * frequency-based admission: that kept the old, often read entries and turned away every new
 * one once full, while the point is the variants asked for in the seconds after a make.
 */
final class HeldMezzanines {
    private final long bound;
    private final LinkedHashMap<ImageId, Mezzanine> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    /** {@code bound}: the most their pixels and JPEGs take; 0 holds none. */
    HeldMezzanines(long bound) {
        this.bound = Math.max(0, bound);
    }

    private static long weight(Mezzanine mezzanine) {
        return mezzanine.pixels().map(Pixels::bytes).orElse(0L) + mezzanine.jpegBytes();
    }

    /**
     * Holds {@code mezzanine} for {@code id}, leasing its pixels, and drops the least recently
     * used ones over the bound; false (nothing held) when it has no pixels, they are already
     * freed, or it alone is over the bound.
     */
    boolean put(ImageId id, Mezzanine mezzanine) {
        if (mezzanine.pixels().isEmpty() || weight(mezzanine) > bound || !mezzanine.pixels().get().lease()) {
            return false;
        }
        List<Mezzanine> dropped = new ArrayList<>();
        synchronized (this) {
            Mezzanine replaced = entries.put(id, mezzanine);
            if (replaced != null) {
                bytes -= weight(replaced);
                dropped.add(replaced);
            }
            bytes += weight(mezzanine);
            // Oldest first; the one just put is the newest and fits alone, so it stays.
            Iterator<Map.Entry<ImageId, Mezzanine>> oldest = entries.entrySet().iterator();
            while (bytes > bound && oldest.hasNext()) {
                Mezzanine old = oldest.next().getValue();
                oldest.remove();
                bytes -= weight(old);
                dropped.add(old);
            }
        }
        release(dropped);
        return true;
    }

    /** The one held for {@code id}, now the most recently used. */
    synchronized Optional<Mezzanine> get(ImageId id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** Whether one is held for {@code id}, without counting as a use. */
    synchronized boolean contains(ImageId id) {
        return entries.containsKey(id);
    }

    /** Drops the one held for {@code id}, if any. */
    void remove(ImageId id) {
        remove(id, null);
    }

    /** Drops the one held for {@code id} if it is {@code expected} (any, when null). */
    void remove(ImageId id, Mezzanine expected) {
        Mezzanine removed = null;
        synchronized (this) {
            Mezzanine current = entries.get(id);
            if (current != null && (expected == null || current == expected)) {
                removed = entries.remove(id);
                bytes -= weight(removed);
            }
        }
        if (removed != null) {
            release(List.of(removed));
        }
    }

    /** What those held take now. */
    synchronized long bytes() {
        return bytes;
    }

    private static void release(List<Mezzanine> dropped) {
        for (Mezzanine mezzanine : dropped) {
            mezzanine.pixels().ifPresent(Pixels::release);
        }
    }
}
