package org.imgorigin.render;

import java.util.Objects;
import org.imgorigin.image.ImageFormat;

/**
 * An encoded variant and what it is. {@code original} is true when the original's own bytes
 * are the answer because the render came out heavier; {@code renderedBytes} is then the size
 * of the render that was thrown away (otherwise the length of {@code bytes}).
 * {@code fromMezzanine}: its pixels were loaded from the original's {@link Mezzanine}.
 */
public record RenderedImage(byte[] bytes, ImageFormat format, int width, int height, boolean original,
        long renderedBytes, boolean fromMezzanine) {
    public RenderedImage {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(format, "format");
    }

    public RenderedImage(byte[] bytes, ImageFormat format, int width, int height, boolean original,
            long renderedBytes) {
        this(bytes, format, width, height, original, renderedBytes, false);
    }
}
