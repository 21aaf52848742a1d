package org.imgorigin.vips;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.logging.Logger;

/**
 * Process-wide libvips state. {@link #init()} runs once, before any image work: the
 * operation cache is off (variants are cached by imgorigin, and libvips' cache would pin
 * source buffers), libvips' own thread pool is 1, so parallelism comes from imgorigin's
 * render workers and one large image cannot take every core, and every loader and saver
 * but those of the formats imgorigin reads and writes is blocked (see {@link #LOADERS}).
 */
public final class Vips {
    private static volatile Version version;

    /**
     * The only loaders libvips may run: JPEG, PNG, WebP, GIF, HEIF/AVIF and TIFF, the formats
     * {@code ImageFormat.sniff} lets through. Class names as {@code vips -l} prints them for
     * libvips 8.14 (GIF is libnsgif's since 8.11; PNG keeps this name whether libpng or spng
     * reads it). Each name covers its file, buffer and source variants.
     *
     * <p>Sniffing alone kept SVG, PDF and ImageMagick away only as long as the sniffer and
     * libvips agreed on what the bytes are; they did not always ({@code ftyp} brand
     * {@code avis} sniffed as AVIF but libvips 8.14's HEIF loader refuses it, so it went to
     * ImageMagick). Blocked here, a loader cannot run whatever the bytes look like.
     */
    static final List<String> LOADERS = List.of(
            "VipsForeignLoadJpeg",
            "VipsForeignLoadPng",
            "VipsForeignLoadWebp",
            "VipsForeignLoadNsgif",
            "VipsForeignLoadHeif",
            "VipsForeignLoadTiff");

    /**
     * The only savers libvips may run: those {@code VipsScope} encodes with (JPEG, PNG, WebP,
     * AVIF, GIF, JPEG XL), one entry per format naming the classes that may write it; those of
     * an entry this libvips has are unblocked. PNG is written by libpng's saver in a libvips
     * built with libpng (Debian's) and by libspng's in one built without it (sharp's, which
     * {@code IMGORIGIN_LIBVIPS} may name). libvips 8.14 marks its JPEG XL saver untrusted along
     * with the loader; the saver is unblocked here because what it is given is imgorigin's own
     * decoded, resized pixels, never a client's bytes. The JPEG XL loader, which would parse
     * them, stays blocked: JPEG XL is written, not read.
     */
    static final List<List<String>> SAVERS = List.of(
            List.of("VipsForeignSaveJpeg"),
            List.of("VipsForeignSavePng", "VipsForeignSaveSpng"),
            List.of("VipsForeignSaveWebp"),
            List.of("VipsForeignSaveHeif"),
            List.of("VipsForeignSaveCgif"),
            List.of("VipsForeignSaveJxl"));

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
        Version v = new Version(Native.callInt("vips_version", -1, 0), Native.callInt("vips_version", -1, 1),
                Native.callInt("vips_version", -1, 2));
        if (!v.atLeast(8, 14)) {
            throw new VipsException("libvips " + v + " is too old: imgorigin needs 8.14 or newer", "");
        }
        Native.callVoid("vips_cache_set_max", 0);
        Native.callVoid("vips_cache_set_max_mem", 0L);
        Native.callVoid("vips_concurrency_set", 1);
        restrictOperations();
        version = v;
        return v;
    }

    /**
     * Blocks libvips' untrusted operations (8.13+: the loaders and savers it marks as not for
     * hostile input, such as ImageMagick, PDF, SVG, FITS, Matlab), then every loader and every
     * saver, then unblocks exactly {@link #LOADERS} and {@link #SAVERS}. A blocked operation
     * fails when built ("operation is blocked"), so bytes that reach libvips however they were
     * sniffed are decoded by one of the six loaders or not at all. A name this libvips lacks
     * (built without libheif, say) is logged: that format then fails to decode (422).
     */
    private static void restrictOperations() {
        try (Arena arena = Arena.ofConfined()) {
            Native.callVoid("vips_block_untrusted_set", true);
            Native.callVoid("vips_operation_block_set", arena.allocateFrom("VipsForeignLoad"), true);
            Native.callVoid("vips_operation_block_set", arena.allocateFrom("VipsForeignSave"), true);
            for (String name : LOADERS) {
                allow(arena, List.of(name));
            }
            for (List<String> names : SAVERS) {
                allow(arena, names);
            }
        }
    }

    /** Unblocks those of {@code classNames} this libvips has; logs when it has none of them. */
    private static void allow(Arena arena, List<String> classNames) {
        boolean any = false;
        for (String className : classNames) {
            if (has(arena, className)) {
                Native.callVoid("vips_operation_block_set", arena.allocateFrom(className), false);
                any = true;
            }
        }
        if (!any) {
            Logger.getLogger(Vips.class.getName()).warning("libvips has no operation "
                    + String.join(" or ", classNames) + ": its format cannot be read or written");
        }
    }

    private static boolean has(Arena arena, String className) {
        return Native.callLong("g_type_from_name", -1, arena.allocateFrom(className)) != 0;
    }

    public static Version version() {
        return init();
    }

    /**
     * Whether this libvips can write JPEG XL: it is built with libjxl only optionally, unlike the
     * other output formats' savers, which imgorigin requires. Without it, {@code f_auto} skips
     * JPEG XL and an explicit {@code f_jxl} is refused by name.
     */
    public static boolean writesJpegXl() {
        init();
        try (Arena arena = Arena.ofConfined()) {
            return has(arena, "VipsForeignSaveJxl");
        }
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
