package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/** {@code a_90|180|270|hflip|vflip}, after resizing as Cloudinary does (EXIF orientation was applied on load). */
final class RotateStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        return context.transformation().angle().map(angle -> switch (angle) {
            case R90 -> context.scope().rotate(whole(context, image), 90);
            case R180 -> context.scope().rotate(whole(context, image), 180);
            case R270 -> context.scope().rotate(whole(context, image), 270);
            case HFLIP -> context.scope().flip(image, true);
            case VFLIP -> context.scope().flip(whole(context, image), false);
            case IGNORE -> image;
        }).orElse(image);
    }

    /**
     * Rotations and a vertical flip read their input out of order, which an image still being
     * decoded top to bottom cannot give (libvips: "error in tile"): it is made in memory first,
     * as large as the stage made it, which the output limits bound.
     */
    private static VipsImage whole(RenderContext context, VipsImage image) {
        return context.scope().materialise(image);
    }
}
