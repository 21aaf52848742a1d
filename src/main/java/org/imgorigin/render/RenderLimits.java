package org.imgorigin.render;

import java.time.Duration;

/**
 * Bounds on what one render may cost: source pixels (checked from the header, before any
 * decoding), the largest output side after DPR, the output's pixels (the final canvas, after
 * DPR and padding: two sides under {@code maxDimension} still make 67 MP, and a padded canvas
 * costs its encoder as much as a photo of that size; an output no larger than its source is
 * bounded by {@code maxSourcePixels} instead), the AVIF encoder's effort (0-9;
 * libvips' default of 4 takes seconds on a large image, 2 keeps AVIF within a few times
 * WebP), the time one render may take before it is stopped, and the frames (or pages) an
 * original may have. Source and output pixels count every frame of an animation.
 */
public record RenderLimits(long maxSourcePixels, int maxDimension, long maxOutputPixels, int avifEffort,
        Duration timeout, int maxFrames) {
    /**
     * {@code IMGORIGIN_MAX_FRAMES}' default: 20 s of animation at 25 frames a second (longer is
     * a video, better served as one). Each frame is its own pipeline of libvips operations, so
     * this bounds that overhead where the pixel limit would not (ten thousand 1×1 frames).
     */
    public static final int DEFAULT_MAX_FRAMES = 500;

    public static final RenderLimits DEFAULTS =
            new RenderLimits(50_000_000L, 8192, 40_000_000L, 2, Duration.ofSeconds(10), DEFAULT_MAX_FRAMES);

    public RenderLimits(long maxSourcePixels, int maxDimension, long maxOutputPixels, int avifEffort,
            Duration timeout) {
        this(maxSourcePixels, maxDimension, maxOutputPixels, avifEffort, timeout, DEFAULT_MAX_FRAMES);
    }

    public RenderLimits {
        if (maxSourcePixels < 1) {
            throw new IllegalArgumentException("maxSourcePixels must be positive: " + maxSourcePixels);
        }
        if (maxDimension < 1) {
            throw new IllegalArgumentException("maxDimension must be positive: " + maxDimension);
        }
        if (maxOutputPixels < 1) {
            throw new IllegalArgumentException("maxOutputPixels must be positive: " + maxOutputPixels);
        }
        if (avifEffort < 0 || avifEffort > 9) {
            throw new IllegalArgumentException("avifEffort must be 0-9: " + avifEffort);
        }
        if (maxFrames < 1) {
            throw new IllegalArgumentException("maxFrames must be positive: " + maxFrames);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }
}
