package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/**
 * Cuts the planned region, or lets libvips' attention find the salient one for {@code g_auto},
 * and scales it when the plan says so (a zoomed crop).
 */
final class CropStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        VipsImage cut = context.plan().cut().map(region -> {
            if (region.width() == image.width() && region.height() == image.height()) {
                return image;
            }
            return region.smart()
                    ? context.scope().smartCrop(image, region.width(), region.height())
                    : context.scope().extractArea(image, region.left(), region.top(), region.width(), region.height());
        }).orElse(image);
        // A zoomed crop: the region kept is then scaled to the size asked for.
        return context.plan().after()
                .filter(size -> size.width() != cut.width() || size.height() != cut.height())
                .map(size -> context.scope().resize(cut, size.width(), size.height()))
                .orElse(cut);
    }
}
