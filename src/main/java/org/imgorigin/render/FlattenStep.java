package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/**
 * Blends alpha onto {@code b_} (white by default) when the output format has no alpha
 * (JPEG), or when a background was asked for explicitly.
 */
final class FlattenStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        boolean wanted = !context.output().supportsAlpha() || context.transformation().background().isPresent();
        return image.hasAlpha() && wanted ? context.scope().flatten(image, context.background(false)) : image;
    }
}
