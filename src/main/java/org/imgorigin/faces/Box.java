package org.imgorigin.faces;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A face's box in fractions of the image it was found in (0 to 1 on each axis), so that it
 * holds at any scale of that image.
 */
public record Box(double left, double top, double width, double height) {
    public Box {
        if (!(width > 0 && height > 0 && left >= 0 && top >= 0 && left + width <= 1 + 1e-9
                && top + height <= 1 + 1e-9)) {
            throw new IllegalArgumentException("a box must lie inside its image: " + left + "," + top + " "
                    + width + "x" + height);
        }
    }

    /** A box of {@code width}×{@code height} pixels at (x, y) in an {@code imageWidth}×{@code imageHeight} image. */
    public static Box ofPixels(int x, int y, int width, int height, int imageWidth, int imageHeight) {
        int left = Math.max(0, x);
        int top = Math.max(0, y);
        int w = Math.min(imageWidth, x + width) - left;
        int h = Math.min(imageHeight, y + height) - top;
        return new Box((double) left / imageWidth, (double) top / imageHeight, (double) w / imageWidth,
                (double) h / imageHeight);
    }

    public double right() {
        return left + width;
    }

    public double bottom() {
        return top + height;
    }

    public double centreX() {
        return left + width / 2;
    }

    public double centreY() {
        return top + height / 2;
    }

    /** The smallest box holding both. */
    public Box union(Box other) {
        double l = Math.min(left, other.left);
        double t = Math.min(top, other.top);
        return new Box(l, t, Math.max(right(), other.right()) - l, Math.max(bottom(), other.bottom()) - t);
    }

    /**
     * This box in the coordinates of a region of its image ({@code region}, in fractions of the
     * same image), cut to that region; empty when it lies outside it.
     */
    public Optional<Box> within(Box region) {
        double l = Math.max(left, region.left);
        double t = Math.max(top, region.top);
        double r = Math.min(right(), region.right());
        double b = Math.min(bottom(), region.bottom());
        if (r <= l || b <= t) {
            return Optional.empty();
        }
        return Optional.of(new Box(Math.min(1, (l - region.left) / region.width),
                Math.min(1, (t - region.top) / region.height),
                Math.min(1, (r - l) / region.width), Math.min(1, (b - t) / region.height)));
    }

    /** {@code g_face}: the largest face. */
    public static Optional<Box> largest(List<Box> faces) {
        return faces.stream().max(Comparator.comparingDouble(b -> b.width * b.height));
    }

    /** {@code g_faces}: the box around every face. */
    public static Optional<Box> around(List<Box> faces) {
        return faces.stream().reduce(Box::union);
    }
}
