package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/**
 * {@code e_blur:n}, {@code e_sharpen:n}, {@code e_grayscale}. Cloudinary's strengths (1-2000,
 * default 100) map to Gaussian sigmas: blur 100 is sigma 2, sharpen 100 is sigma 1.
 */
final class EffectsStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        VipsImage out = image;
        var t = context.transformation();
        if (t.blur().isPresent()) {
            out = context.scope().gaussBlur(out, Math.max(0.3, t.blur().getAsInt() / 50.0));
        }
        if (t.sharpen().isPresent()) {
            out = context.scope().sharpen(out, Math.max(0.5, t.sharpen().getAsInt() / 100.0));
        }
        if (t.grayscale()) {
            out = context.scope().toGrey(out);
        }
        return out;
    }
}
