package org.imgorigin.render;

import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation;
import org.imgorigin.vips.VipsScope;

/**
 * What every step of one stage of a render may read: the stage's own parameters, its plan,
 * the request's DPR (which scales every stage's sizes) and the output format. The scope owns
 * every image the steps make.
 */
record RenderContext(VipsScope scope, Transformation transformation, Plan plan, double dpr, ImageFormat output) {

    /** {@code b_}, or white: the background of pads and of alpha flattened away. */
    double[] background(boolean withAlpha) {
        return colour(transformation.background().orElse(Transformation.Rgb.WHITE), withAlpha);
    }

    /** A colour as band values: three, or four with an opaque alpha. */
    static double[] colour(Transformation.Rgb rgb, boolean withAlpha) {
        return withAlpha
                ? new double[] {rgb.red(), rgb.green(), rgb.blue(), 255}
                : new double[] {rgb.red(), rgb.green(), rgb.blue()};
    }

    /** A length in CSS pixels of the stage ({@code r_}, {@code bo_}) in image pixels, at the request's DPR. */
    int scaled(int pixels) {
        return (int) Math.max(1, Math.round(pixels * dpr));
    }
}
