package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/** Places the image on the planned canvas of {@code b_} (white by default) for {@code c_pad}/{@code c_lpad}. */
final class PadStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        return context.plan().canvas().map(canvas -> {
            if (canvas.width() == image.width() && canvas.height() == image.height()) {
                return image;
            }
            return context.scope().embed(image, canvas.x(), canvas.y(), canvas.width(), canvas.height(),
                    context.background(image.hasAlpha()));
        }).orElse(image);
    }
}
