package org.imgorigin.render;

import java.util.Map;
import org.imgorigin.url.Effect;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/**
 * The {@code e_} effects of a stage, in {@link Effect}'s order, each as Cloudinary describes it
 * and as libvips can do it on 8-bit pixels (the pipeline is 8-bit sRGB or grey by now). Colour
 * bands change; alpha never does. {@code e_trim} is applied before the stage's resize (the
 * renderer cuts to {@link #trimBox}), and is skipped here.
 *
 * <ul>
 *   <li>blur n: Gaussian, sigma n/50 (100 is sigma 2); sharpen n: unsharp mask, sigma n/100.
 *   <li>pixelate n: squares of n pixels, averaged; without n, a fiftieth of the shorter side.
 *   <li>brightness n: every channel times 1 + n/100; contrast n: distances from mid-grey
 *       times 1 + n/100; saturation n: distances from the pixel's luma times 1 + n/100.
 *   <li>grayscale; sepia n: the classic sepia matrix, mixed n % with the image; negate.
 * </ul>
 */
final class EffectsStep implements Step {
    /** Rec. 601 luma weights, as sepia and saturation use them. */
    private static final double[] LUMA = {0.299, 0.587, 0.114};
    private static final double[][] SEPIA = {
        {0.393, 0.769, 0.189},
        {0.349, 0.686, 0.168},
        {0.272, 0.534, 0.131}};

    @Override
    public VipsImage apply(RenderContext context, VipsImage image) {
        VipsImage out = image;
        VipsScope scope = context.scope();
        for (Map.Entry<Effect, Integer> entry : context.transformation().effects().asMap().entrySet()) {
            int n = entry.getValue();
            out = switch (entry.getKey()) {
                case TRIM -> out;
                // Squares no larger than the image: libvips cannot shrink it to nothing.
                case PIXELATE -> scope.pixelate(out, Math.min(Math.min(out.width(), out.height()), n > 0 ? n
                        : Math.max(2, Math.min(out.width(), out.height()) / 50)));
                case BLUR -> scope.gaussBlur(out, Math.max(0.3, n / 50.0));
                case SHARPEN -> scope.sharpen(out, Math.max(0.5, n / 100.0));
                case BRIGHTNESS -> scale(scope, out, 1 + n / 100.0, 0);
                case CONTRAST -> scale(scope, out, 1 + n / 100.0, 128);
                case SATURATION -> saturation(scope, out, 1 + n / 100.0);
                case GRAYSCALE -> scope.toGrey(out);
                case SEPIA -> sepia(scope, out, n / 100.0);
                case NEGATE -> negate(scope, out);
            };
        }
        return out;
    }

    /**
     * {@code e_trim[:tolerance]}: the box {left, top, width, height} left when the border that
     * differs from the top-left pixel by at most the tolerance (on libvips' 0-255 scale) is cut
     * away; the whole image when it is all border. {@code image} is read twice: it must be in
     * memory or cheap to compute again.
     */
    static int[] trimBox(VipsScope scope, VipsImage image, int tolerance) {
        VipsImage whole = scope.materialise(image);
        double[] corner = scope.pixel(whole, 0, 0);
        double[] background = whole.hasAlpha() ? java.util.Arrays.copyOf(corner, corner.length - 1) : corner;
        int[] box = scope.findTrim(whole, Math.max(0.5, tolerance), background);
        if (box[2] <= 0 || box[3] <= 0) {
            return new int[] {0, 0, whole.width(), whole.height()};
        }
        return box;
    }

    /** Colour bands times {@code factor} around {@code pivot}; alpha unchanged. */
    private static VipsImage scale(VipsScope scope, VipsImage image, double factor, double pivot) {
        int colours = colourBands(image);
        double[] a = new double[image.bands()];
        double[] b = new double[image.bands()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i < colours ? factor : 1;
            b[i] = i < colours ? pivot * (1 - factor) : 0;
        }
        return scope.linear(image, a, b, true);
    }

    private static VipsImage negate(VipsScope scope, VipsImage image) {
        int colours = colourBands(image);
        double[] a = new double[image.bands()];
        double[] b = new double[image.bands()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i < colours ? -1 : 1;
            b[i] = i < colours ? 255 : 0;
        }
        return scope.linear(image, a, b, true);
    }

    /** out = luma + factor × (in − luma), per channel: one matrix. Grey images have no saturation. */
    private static VipsImage saturation(VipsScope scope, VipsImage image, double factor) {
        if (colourBands(image) < 3) {
            return image;
        }
        double[][] m = new double[3][3];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                m[r][c] = (1 - factor) * LUMA[c] + (r == c ? factor : 0);
            }
        }
        return scope.recomb(image, withAlphaRow(m, image.hasAlpha()));
    }

    /** The sepia matrix mixed with the identity by {@code level} (0-1). */
    private static VipsImage sepia(VipsScope scope, VipsImage image, double level) {
        VipsImage rgb = colourBands(image) < 3 ? scope.toSrgb(image) : image;
        double[][] m = new double[3][3];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                m[r][c] = level * SEPIA[r][c] + (1 - level) * (r == c ? 1 : 0);
            }
        }
        return scope.recomb(rgb, withAlphaRow(m, rgb.hasAlpha()));
    }

    /** A 3×3 colour matrix extended to pass alpha through unchanged when there is one. */
    private static double[][] withAlphaRow(double[][] m, boolean alpha) {
        if (!alpha) {
            return m;
        }
        double[][] out = new double[4][4];
        for (int r = 0; r < 3; r++) {
            System.arraycopy(m[r], 0, out[r], 0, 3);
        }
        out[3][3] = 1;
        return out;
    }

    static int colourBands(VipsImage image) {
        return image.hasAlpha() ? image.bands() - 1 : image.bands();
    }
}
