package org.imgorigin.vips;

import java.lang.foreign.Arena;

/**
 * Process-wide libvips state. {@link #init()} runs once, before any image work: the
 * operation cache is off (variants are cached by imgorigin, and libvips' cache would pin
 * source buffers) and libvips' own thread pool is 1, so parallelism comes from imgorigin's
 * render workers and one large image cannot take every core.
 */
public final class Vips {
    private static volatile Version version;

    private Vips() {
    }

    /** libvips' version, e.g. 8.14.1. */
    public record Version(int major, int minor, int micro) {
        boolean atLeast(int maj, int min) {
            return major > maj || (major == maj && minor >= min);
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + micro;
        }
    }

    /** Starts libvips once; later calls return at once. Throws if libvips is missing or too old. */
    public static synchronized Version init() {
        if (version != null) {
            return version;
        }
        try (Arena arena = Arena.ofConfined()) {
            if (Native.callInt("vips_init", -1, arena.allocateFrom("imgorigin")) != 0) {
                throw new VipsException("libvips failed to start", Native.takeError());
            }
        }
        Native.callVoid("vips_cache_set_max", 0);
        Native.callVoid("vips_cache_set_max_mem", 0L);
        Native.callVoid("vips_concurrency_set", 1);
        Version v = new Version(Native.callInt("vips_version", -1, 0), Native.callInt("vips_version", -1, 1),
                Native.callInt("vips_version", -1, 2));
        if (!v.atLeast(8, 14)) {
            throw new VipsException("libvips " + v + " is too old: imgorigin needs 8.14 or newer", "");
        }
        version = v;
        return v;
    }

    public static Version version() {
        return init();
    }

    /** Bytes of pixel memory libvips has allocated and not yet freed (its own tracker). */
    public static long trackedMemory() {
        init();
        return Native.callLong("vips_tracked_get_mem", -1);
    }

    /** Allocations libvips is tracking: a number that returns to its baseline when no image is alive. */
    public static int trackedAllocations() {
        init();
        return Native.callInt("vips_tracked_get_allocs", -1);
    }

    /** Open files held by libvips' tracker (should return to baseline too). */
    public static int trackedFiles() {
        init();
        return Native.callInt("vips_tracked_get_files", -1);
    }

    /** A scope that owns every image made within it; close it to release them all. */
    public static VipsScope scope() {
        init();
        return new VipsScope(version);
    }

    /** glibc's {@code malloc_trim}, when the C library is glibc (absent under musl, harmless under jemalloc). */
    private static final java.util.Optional<java.lang.invoke.MethodHandle> MALLOC_TRIM =
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("malloc_trim")
                    .map(symbol -> java.lang.foreign.Linker.nativeLinker().downcallHandle(symbol,
                            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                                    java.lang.foreign.ValueLayout.JAVA_LONG)));

    /**
     * Hands the C heap's free pages back to the system. Encoders (libaom for AVIF above all)
     * allocate and free hundreds of MB per large image from several threads; glibc keeps what
     * was freed in its per-thread arenas, so without this the process' resident memory
     * climbed by hundreds of MB over a few hundred renders (SoakTest). Under jemalloc (the
     * Docker image and {@code bin/imgorigin serve} preload it) it is a cheap no-op.
     */
    public static void releaseFreeMemory() {
        MALLOC_TRIM.ifPresent(trim -> {
            try {
                int ignored = (int) trim.invokeExact(0L);
            } catch (Throwable e) {
                throw new IllegalStateException("malloc_trim failed", e);
            }
        });
    }

    /** Whether a working libvips answers (for readiness): a 1x1 image is made and released. */
    public static boolean healthy() {
        try (VipsScope scope = scope()) {
            return scope.black(1, 1).width() == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
