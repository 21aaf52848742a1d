package org.imgorigin.render;

import java.util.Objects;
import org.imgorigin.image.ImageFormat;

/** An encoded variant and what it is. */
public record RenderedImage(byte[] bytes, ImageFormat format, int width, int height) {
    public RenderedImage {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(format, "format");
    }
}
