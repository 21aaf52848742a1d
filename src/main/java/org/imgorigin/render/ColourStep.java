package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * Ends in 8-bit sRGB (or 8-bit grey): the web's colour space, whatever the original was
 * (CMYK, 16-bit, Lab). Embedded profiles were already applied by the thumbnail loader.
 */
final class ColourStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        return normalise(context.scope(), image);
    }

    static VipsImage normalise(VipsScope scope, VipsImage image) {
        return switch (image.colour()) {
            case SRGB, GREY -> image;
            case GREY16 -> scope.toGrey(image);
            case OTHER -> scope.toSrgb(image);
        };
    }
}
