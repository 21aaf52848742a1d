package org.imgorigin.vips;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An 8-bit image decoded into native memory that outlives the {@link VipsScope} that made it
 * ({@link VipsScope#keep}), so that other renders, on other threads, can start from its pixels
 * without decoding again ({@link VipsScope#view}). Read-only once made; libvips reads one
 * memory image from many pipelines at once.
 *
 * <p>Its memory is counted by leases: the scope that made it holds one until it closes, every
 * scope that views it holds one until it closes, and whoever keeps it beyond that (a cache)
 * takes one with {@link #lease} and gives it back with {@link #release}. The memory is freed
 * when the last lease is given back, never while a pipeline may still read it; a lease asked
 * for after that fails, and the caller decodes from elsewhere.
 */
public final class Pixels {
    private final MemorySegment data;
    private final long bytes;
    private final int width;
    private final int height;
    private final int bands;
    private final int interpretation;
    private final AtomicInteger leases = new AtomicInteger(1);

    Pixels(MemorySegment data, long bytes, int width, int height, int bands, int interpretation) {
        this.data = data;
        this.bytes = bytes;
        this.width = width;
        this.height = height;
        this.bands = bands;
        this.interpretation = interpretation;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The native memory it holds. */
    public long bytes() {
        return bytes;
    }

    /** Takes a lease on its memory; false when it is already freed (every lease given back). */
    public boolean lease() {
        int n;
        do {
            n = leases.get();
            if (n == 0) {
                return false;
            }
        } while (!leases.compareAndSet(n, n + 1));
        return true;
    }

    /** Gives a lease back; the last one frees the memory. */
    public void release() {
        int n;
        do {
            n = leases.get();
            if (n == 0) {
                // Never below 0: a later lease must not find the freed memory "held" again.
                throw new IllegalStateException("a lease given back twice");
            }
        } while (!leases.compareAndSet(n, n - 1));
        if (n == 1) {
            Native.callVoid("g_free", data);
        }
    }

    /** Whether its memory is still there (for tests). */
    public boolean held() {
        return leases.get() > 0;
    }

    MemorySegment data() {
        return data;
    }

    int bands() {
        return bands;
    }

    int interpretation() {
        return interpretation;
    }
}
