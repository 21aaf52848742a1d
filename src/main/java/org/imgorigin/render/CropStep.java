package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/** Cuts the planned region, or lets libvips' attention find the salient one for {@code g_auto}. */
final class CropStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        return context.plan().cut().map(cut -> {
            if (cut.width() == image.width() && cut.height() == image.height()) {
                return image;
            }
            return cut.smart()
                    ? context.scope().smartCrop(image, cut.width(), cut.height())
                    : context.scope().extractArea(image, cut.left(), cut.top(), cut.width(), cut.height());
        }).orElse(image);
    }
}
