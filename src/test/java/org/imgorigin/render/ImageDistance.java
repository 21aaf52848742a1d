package org.imgorigin.render;

import java.awt.image.BufferedImage;

/** How far apart two renders of the same size are, for tests that bound a shortcut's loss. */
public final class ImageDistance {
    private ImageDistance() {
    }

    /** PSNR in dB over the R, G and B samples (99 when identical). */
    public static double psnr(BufferedImage a, BufferedImage b) {
        double se = 0;
        long n = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int d = ((p >> shift) & 0xff) - ((q >> shift) & 0xff);
                    se += d * d;
                    n++;
                }
            }
        }
        return se == 0 ? 99 : 10 * Math.log10(255.0 * 255.0 / (se / n));
    }
}
