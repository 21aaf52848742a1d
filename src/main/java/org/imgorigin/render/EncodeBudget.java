package org.imgorigin.render;

import java.time.Duration;
import org.imgorigin.image.ImageFormat;

/**
 * Keeps every render within {@link RenderLimits#timeout()} plus {@link #GRACE}, encoders
 * included. The watchdog's kill stops a pipeline at its next tile, and JPEG and PNG encode
 * tile by tile as they pull, so they stop too. AVIF (libheif/aom), GIF (quantisation), WebP
 * and JPEG XL (libjxl, as libvips 8.14 calls it) take the whole frame first and then encode it
 * in one call that no kill reaches: a 67 MP padded AVIF held a worker for 75 s under a 10 s
 * limit, and a JPEG XL encode killed 0.2 s in ran its 6 s to the end. So for those four:
 * <ul>
 * <li>an output whose encode alone would outlast the limit is refused from the plan (400),
 *     before anything is decoded: {@link #maxPixels} is the per-format cap this gives;</li>
 * <li>past {@link #AVIF_FULL_EFFORT_PIXELS}, or when the configured effort would take more than
 *     half the limit, AVIF is encoded at effort 0: four times faster than effort 2 and, unlike
 *     it, about linear in the pixels; likewise JPEG XL past {@link #JXL_FULL_EFFORT_PIXELS} is
 *     encoded at effort 3, 1.5-1.8 times faster than effort 5 on large frames;</li>
 * <li>a frame whose encode could run past the grace is made in memory first (a killable
 *     pull), and the time left is checked before the encoder starts (503 when too little).</li>
 * </ul>
 * The rates are seconds per megapixel measured on a 2-core build machine (a 1200 px photo
 * scaled or padded to 2000-6000 px, the slowest of several runs under load), rounded up;
 * JPEG XL's from the encode alone on the corpus photos (bench/jxl.sh, docs/jpeg-xl.md).
 */
final class EncodeBudget {
    /** How far past the limit an answer may come: the encode of a frame too small to check. */
    static final Duration GRACE = Duration.ofSeconds(1);
    /** Up to about a 2560x1600 screen, AVIF keeps the configured effort. */
    static final long AVIF_FULL_EFFORT_PIXELS = 4_000_000L;

    /** Measured 0.07-0.14 s/MP (4-36 MP). */
    private static final double AVIF_EFFORT0_SECONDS_PER_MP = 0.25;
    /**
     * Measured 0.16-0.55 s/MP at effort 2 (4-36 MP), 0.66 for 3.8 MP with the machine's load at
     * 6, and 1.4 for a 16 MP photo (which effort 0 now takes); each effort step above 2 is
     * assumed to double it (not measured).
     */
    private static final double AVIF_EFFORT2_SECONDS_PER_MP = 0.8;
    /** Measured 0.19-0.64 s/MP (4-36 MP), the pull included, and 1.06 s/MP with the machine's load at 6. */
    private static final double GIF_SECONDS_PER_MP = 1.2;
    /** Measured 0.07-0.13 s/MP (4-36 MP), the pull included. */
    private static final double WEBP_SECONDS_PER_MP = 0.2;
    /**
     * libjxl's effort for JPEG XL up to {@link #JXL_FULL_EFFORT_PIXELS}. On the benchmark photos
     * (docs/jpeg-xl.md) effort 5 took about 3 times effort 4's CPU at 0.2-2.5 MP and, at the
     * same Q, made files about 10% smaller with a higher luma SSIM; effort 7 (libvips'
     * default) took 1.7-3 times effort 5's CPU for files no smaller at the same Q.
     */
    static final int JXL_EFFORT = 5;
    /** libjxl's effort past {@link #JXL_FULL_EFFORT_PIXELS}: 3, libvips 8.14's lowest. */
    static final int JXL_FAST_EFFORT = 3;
    /** As for AVIF: up to about a 2560x1600 screen, JPEG XL is encoded at {@link #JXL_EFFORT}. */
    static final long JXL_FULL_EFFORT_PIXELS = 4_000_000L;
    /**
     * Measured, the encode alone: 0.11-0.12 s/MP of CPU at effort 5 for 0.2-2.5 MP, but
     * 0.24-0.34 s/MP for 4-37 MP, and up to 0.72 s/MP of wall time (13-20 MP) with the
     * machine's load at 3-5.
     */
    private static final double JXL_SECONDS_PER_MP = 0.8;
    /** Measured at effort 3: 0.14-0.19 s/MP of CPU (4-37 MP), up to 0.2 s/MP of wall time under load. */
    private static final double JXL_FAST_SECONDS_PER_MP = 0.3;

    private final RenderLimits limits;

    EncodeBudget(RenderLimits limits) {
        this.limits = limits;
    }

    /**
     * The AVIF effort for an output of {@code pixels}: the configured one up to
     * {@link #AVIF_FULL_EFFORT_PIXELS} when its estimate takes at most half the time limit
     * (the rest is for decoding and the steps), otherwise 0. So the estimate for AVIF is at
     * most that half, or the effort-0 one, which grows with the pixels.
     */
    int avifEffort(long pixels) {
        int effort = limits.avifEffort();
        boolean fits = pixels <= AVIF_FULL_EFFORT_PIXELS
                && avifSeconds(pixels, effort) <= limits.timeout().toMillis() / 2000.0;
        return fits ? effort : 0;
    }

    /**
     * The JPEG XL effort for an output of {@code pixels}, chosen as {@link #avifEffort} chooses
     * AVIF's: {@link #JXL_EFFORT} up to {@link #JXL_FULL_EFFORT_PIXELS} when its estimate takes
     * at most half the time limit, otherwise {@link #JXL_FAST_EFFORT}.
     */
    int jxlEffort(long pixels) {
        boolean fits = pixels <= JXL_FULL_EFFORT_PIXELS
                && pixels / 1e6 * JXL_SECONDS_PER_MP <= limits.timeout().toMillis() / 2000.0;
        return fits ? JXL_EFFORT : JXL_FAST_EFFORT;
    }

    /** The effort the encoder of {@code format} is given (AVIF's and JPEG XL's; 0 for the others). */
    int effort(ImageFormat format, long pixels) {
        return switch (format) {
            case AVIF -> avifEffort(pixels);
            case JXL -> jxlEffort(pixels);
            default -> 0;
        };
    }

    private static double jxlSeconds(long pixels, int effort) {
        return pixels / 1e6 * (effort == JXL_FAST_EFFORT ? JXL_FAST_SECONDS_PER_MP : JXL_SECONDS_PER_MP);
    }

    private static double avifSeconds(long pixels, int effort) {
        double rate = effort == 0 ? AVIF_EFFORT0_SECONDS_PER_MP
                : AVIF_EFFORT2_SECONDS_PER_MP * Math.pow(2, effort - 2);
        return pixels / 1e6 * rate;
    }

    /** Whether the format's encoder works on a whole frame out of the kill's reach. */
    static boolean wholeFrame(ImageFormat format) {
        return format == ImageFormat.AVIF || format == ImageFormat.GIF || format == ImageFormat.WEBP
                || format == ImageFormat.JXL;
    }

    /** Estimated seconds the encoder takes for {@code pixels} (0 for the tile-by-tile ones). */
    double seconds(ImageFormat format, long pixels) {
        return switch (format) {
            case AVIF -> avifSeconds(pixels, avifEffort(pixels));
            case GIF -> pixels / 1e6 * GIF_SECONDS_PER_MP;
            case WEBP -> pixels / 1e6 * WEBP_SECONDS_PER_MP;
            case JXL -> jxlSeconds(pixels, jxlEffort(pixels));
            default -> 0;
        };
    }

    /**
     * The largest output of {@code format} whose encode alone fits in the limit plus the grace
     * (large AVIF is estimated at effort 0, which {@link #avifEffort} then uses, and large JPEG
     * XL at {@link #JXL_FAST_EFFORT}, which {@link #jxlEffort} then uses). The canvas
     * itself is bounded by {@link RenderLimits#maxOutputPixels()} where the plan is made.
     */
    long maxPixels(ImageFormat format) {
        double rate = switch (format) {
            case AVIF -> AVIF_EFFORT0_SECONDS_PER_MP;
            case GIF -> GIF_SECONDS_PER_MP;
            case WEBP -> WEBP_SECONDS_PER_MP;
            case JXL -> JXL_FAST_SECONDS_PER_MP;
            default -> 0;
        };
        if (rate == 0) {
            return Long.MAX_VALUE; // stopped by the kill like any pipeline; Geometry bounds the canvas
        }
        return (long) (budgetSeconds() / rate * 1e6);
    }

    private double budgetSeconds() {
        return limits.timeout().plus(GRACE).toMillis() / 1000.0;
    }

    /** Refuses, from the plan, an output whose encode alone would outlast the limit: 400. */
    void checkPlan(ImageFormat format, long pixels) throws RenderException {
        long max = maxPixels(format);
        if (pixels > max || seconds(format, pixels) > budgetSeconds()) {
            throw new RenderException(400, "an output of " + pixels + " pixels in " + format.name()
                    + " exceeds the " + max + " this server encodes within its render time limit of "
                    + limits.timeout().toSeconds()
                    + " s (IMGORIGIN_RENDER_TIMEOUT); ask for fewer pixels or another format", "");
        }
    }

    /** Whether the frame should be made in memory first, so the time left can be checked before encoding. */
    boolean checkBeforeEncoding(ImageFormat format, long pixels) {
        return wholeFrame(format) && seconds(format, pixels) > GRACE.toMillis() / 1000.0;
    }

    /** Refuses to start an encode that would end past the limit plus the grace: 503, like the watchdog. */
    void checkTimeLeft(ImageFormat format, long pixels, long startNanos) throws RenderException {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        if (elapsed + seconds(format, pixels) > budgetSeconds()) {
            throw new RenderException(503, "rendering would take longer than the limit of "
                    + limits.timeout().toSeconds() + " s", String.format("%.1f s spent, encode estimated at %.1f s",
                    elapsed, seconds(format, pixels)));
        }
    }
}
