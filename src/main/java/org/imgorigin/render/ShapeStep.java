package org.imgorigin.render;

import org.imgorigin.url.Transformation;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * {@code r_} rounded corners, then {@code bo_} a border that follows them, then {@code o_}
 * opacity, as Cloudinary stacks them. Corners and opacity make the image transparent where
 * the output format allows; where it does not, the final flatten shows {@code b_} (white by
 * default) there. Radii and border widths are CSS pixels, scaled by the request's DPR.
 */
final class ShapeStep implements Step {
    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        Transformation t = context.transformation();
        VipsScope scope = context.scope();
        double[] radii = t.radius().map(r -> radii(r, context, image.width(), image.height())).orElse(null);
        VipsImage out = image;
        if (radii != null) {
            out = scope.withMask(out, scope.roundedMask(out.width(), out.height(), radii[0], radii[1]));
        }
        if (t.border().isPresent()) {
            out = border(scope, out, context.scaled(t.border().get().width()), t.border().get().colour(), radii);
        }
        if (t.opacity().isPresent()) {
            VipsImage withAlpha = scope.withAlpha(out);
            double[] a = new double[withAlpha.bands()];
            java.util.Arrays.fill(a, 1.0);
            a[a.length - 1] = t.opacity().getAsInt() / 100.0;
            out = scope.linear(withAlpha, a, new double[a.length], true);
        }
        return out;
    }

    /** {@code r_max}: half of each side (a circle or an ellipse); else the radius, at most half the shorter side. */
    private static double[] radii(Transformation.Radius radius, RenderContext context, int width, int height) {
        return switch (radius) {
            case Transformation.Radius.Max m -> new double[] {width / 2.0, height / 2.0};
            case Transformation.Radius.Pixels p -> {
                double r = Math.min(context.scaled(p.value()), Math.min(width, height) / 2.0);
                yield new double[] {r, r};
            }
        };
    }

    /**
     * The image on a canvas {@code width} larger on each side, filled with the colour; with
     * rounded corners the canvas is rounded too, its radii grown by the width.
     */
    private static VipsImage border(VipsScope scope, VipsImage image, int width, Transformation.Rgb colour,
            double[] radii) {
        VipsImage rgb = EffectsStep.colourBands(image) < 3 ? scope.toSrgb(image) : image;
        int w = rgb.width() + 2 * width;
        int h = rgb.height() + 2 * width;
        if (radii == null) {
            return scope.embed(rgb, width, width, w, h, RenderContext.colour(colour, rgb.hasAlpha()));
        }
        VipsImage canvas = scope.withMask(scope.solid(w, h, RenderContext.colour(colour, false)),
                scope.roundedMask(w, h, radii[0] + width, radii[1] + width));
        return scope.over(canvas, rgb, width, width);
    }
}
