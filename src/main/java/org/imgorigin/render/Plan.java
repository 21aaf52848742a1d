package org.imgorigin.render;

import java.util.Optional;

/**
 * The geometry of one render, worked out from the source's dimensions before any pixel is
 * touched: the size to load at (libvips shrinks on load towards it), then an optional crop
 * of the loaded image, an optional scaling of what the crop kept (a zoomed crop), and an
 * optional pad onto a canvas.
 */
record Plan(int loadWidth, int loadHeight, boolean noRotate, Optional<Cut> cut, Optional<Size> after,
        Optional<Canvas> canvas) {

    /** A {@code width}×{@code height} region at (left, top), or the most salient one when {@code smart}. */
    record Cut(int left, int top, int width, int height, boolean smart) {
    }

    /** What the cut region is scaled to. */
    record Size(int width, int height) {
    }

    /** A {@code width}×{@code height} canvas with the image placed at (x, y). */
    record Canvas(int x, int y, int width, int height) {
    }

    /** Output dimensions before rotation. */
    int outputWidth() {
        return canvas.map(Canvas::width).orElse(after.map(Size::width).orElse(cut.map(Cut::width).orElse(loadWidth)));
    }

    int outputHeight() {
        return canvas.map(Canvas::height).orElse(after.map(Size::height)
                .orElse(cut.map(Cut::height).orElse(loadHeight)));
    }
}
