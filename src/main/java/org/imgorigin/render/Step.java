package org.imgorigin.render;

import org.imgorigin.vips.VipsImage;

/** One step of the pipeline: takes the image so far, returns the next (or the same). */
interface Step {
    VipsImage apply(RenderContext context, VipsImage image);
}
