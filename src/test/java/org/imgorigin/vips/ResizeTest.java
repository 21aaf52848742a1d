package org.imgorigin.vips;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * {@link VipsScope#resize} of a plain image (a box shrink when the factor is over 4, then
 * one Lanczos pass): exact sizes, flat colours kept exactly at any factor (a single Lanczos pass
 * over a large factor darkened white to 247 in libvips 8.14), and the same pixels, within
 * the bound the renders keep, as libvips' own resize of the same image.
 */
class ResizeTest {
    @Test
    void flatColoursStayExactAtEveryFactor() {
        try (VipsScope scope = Vips.scope()) {
            VipsImage white = scope.materialise(scope.solid(3072, 2048, new double[] {255, 255, 255}));
            VipsImage grey = scope.materialise(scope.solid(3072, 2048, new double[] {200, 200, 200}));
            assertThat(white.plain()).isTrue();
            // Stretched: one axis shrunk past the box, the other enlarged.
            for (int[] size : new int[][] {{100, 3000}, {4000, 30}}) {
                VipsImage w = scope.resize(white, size[0], size[1]);
                assertThat(w.width() + "x" + w.height()).isEqualTo(size[0] + "x" + size[1]);
                assertThat(range(scope.greyPixels(w))).containsExactly(255, 255);
            }
            for (int width : new int[] {48, 100, 200, 320, 400, 640, 768, 1000, 1920, 4000}) {
                int height = Math.max(1, Math.round(width * 2048f / 3072));
                VipsImage w = scope.resize(white, width, height);
                assertThat(w.width() + "x" + w.height()).isEqualTo(width + "x" + height);
                assertThat(range(scope.greyPixels(w))).as("white to %d px", width).containsExactly(255, 255);
                assertThat(range(scope.greyPixels(scope.resize(grey, width, height))))
                        .as("grey 200 to %d px", width).containsExactly(200, 200);
            }
        }
    }

    @Test
    void everySizeIsExactAndThePixelsAreLibvipsOwnResize() throws Exception {
        byte[] photo = LoaderPolicyTest.resource("/images/photo.jpg");
        try (VipsScope scope = Vips.scope()) {
            MemorySegment buffer = scope.buffer(photo);
            VipsImage whole = scope.materialise(scope.thumbnail(buffer, 1200, 675, VipsScope.Size.FORCE, false));
            for (int width = 1; width <= 1300; width += width < 40 ? 1 : 37) {
                int height = Math.max(1, Math.round(width * 675f / 1200));
                VipsImage resized = scope.resize(whole, width, height);
                assertThat(resized.width() + "x" + resized.height()).isEqualTo(width + "x" + height);
            }
            // Against vips_thumbnail_image of the same plain image.
            for (int width : new int[] {40, 100, 150, 300, 640, 1000}) {
                int height = Math.round(width * 675f / 1200);
                byte[] ours = scope.greyPixels(scope.resize(whole, width, height));
                byte[] theirs = scope.greyPixels(scope.thumbnailImage(whole, width, height));
                double psnr = psnr(ours, theirs);
                assertThat(psnr).as("%d px", width).isGreaterThan(40);
                if (width < 1200 / 4) {
                    assertThat(psnr).as("%d px: the box and Lanczos path, not libvips' own", width).isLessThan(99);
                }
            }
        }
    }

    private static int[] range(byte[] grey) {
        int min = 255;
        int max = 0;
        for (byte b : grey) {
            min = Math.min(min, b & 0xff);
            max = Math.max(max, b & 0xff);
        }
        return new int[] {min, max};
    }

    private static double psnr(byte[] a, byte[] b) {
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] & 0xff) - (b[i] & 0xff);
            se += d * d;
        }
        return se == 0 ? 99 : 10 * Math.log10(255.0 * 255.0 / (se / a.length));
    }
}
