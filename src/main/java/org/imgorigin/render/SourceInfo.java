package org.imgorigin.render;

import org.imgorigin.image.ImageFormat;

/** An original as its header describes it: format, dimensions after EXIF orientation, frames, alpha; and its size. */
public record SourceInfo(ImageFormat format, int width, int height, int pages, boolean hasAlpha, long bytes) {
    public long pixels() {
        return (long) width * height * pages;
    }
}
