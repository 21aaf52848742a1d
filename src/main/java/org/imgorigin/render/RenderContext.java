package org.imgorigin.render;

import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation;
import org.imgorigin.vips.VipsScope;

/** What every step of one render may read. The scope owns every image the steps make. */
record RenderContext(VipsScope scope, Transformation transformation, Plan plan, ImageFormat output) {

    /** {@code b_}, or white: the background of pads and of alpha flattened away. */
    double[] background(boolean withAlpha) {
        Transformation.Rgb rgb = transformation.background().orElse(Transformation.Rgb.WHITE);
        return withAlpha
                ? new double[] {rgb.red(), rgb.green(), rgb.blue(), 255}
                : new double[] {rgb.red(), rgb.green(), rgb.blue()};
    }
}
