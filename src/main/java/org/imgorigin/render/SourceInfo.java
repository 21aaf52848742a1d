package org.imgorigin.render;

import org.imgorigin.image.ImageFormat;

/**
 * An original as its header describes it: format, dimensions after EXIF orientation, frames
 * (or pages), alpha, its size, and for an animation how long one play lasts.
 */
public record SourceInfo(ImageFormat format, int width, int height, int pages, boolean hasAlpha, long bytes,
        long durationMillis) {
    public SourceInfo(ImageFormat format, int width, int height, int pages, boolean hasAlpha, long bytes) {
        this(format, width, height, pages, hasAlpha, bytes, 0);
    }

    /** Every frame's pixels: what decoding the whole original costs. */
    public long pixels() {
        return (long) width * height * pages;
    }

    /** An animation: a GIF or WebP of more than one frame. */
    public boolean animated() {
        return pages > 1 && (format == ImageFormat.GIF || format == ImageFormat.WEBP);
    }
}
