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

    /** Luma (Rec. 601) SSIM, Wang et al. 2004: 11×11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03. */
    public static double ssim(BufferedImage a, BufferedImage b) {
        int w = a.getWidth();
        int h = a.getHeight();
        double[] x = luma(a);
        double[] y = luma(b);
        double[] xx = new double[w * h];
        double[] yy = new double[w * h];
        double[] xy = new double[w * h];
        for (int i = 0; i < w * h; i++) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        double[] mx = blur(x, w, h);
        double[] my = blur(y, w, h);
        double[] sxx = blur(xx, w, h);
        double[] syy = blur(yy, w, h);
        double[] sxy = blur(xy, w, h);
        double c1 = Math.pow(0.01 * 255, 2);
        double c2 = Math.pow(0.03 * 255, 2);
        double sum = 0;
        for (int i = 0; i < w * h; i++) {
            double vx = sxx[i] - mx[i] * mx[i];
            double vy = syy[i] - my[i] * my[i];
            double cxy = sxy[i] - mx[i] * my[i];
            sum += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
        }
        return sum / (w * h);
    }

    private static double[] luma(BufferedImage image) {
        int w = image.getWidth();
        double[] out = new double[w * image.getHeight()];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                int p = image.getRGB(x, y);
                out[y * w + x] = 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
            }
        }
        return out;
    }

    private static double[] blur(double[] in, int w, int h) {
        double[] k = new double[11];
        double s = 0;
        for (int i = 0; i < 11; i++) {
            k[i] = Math.exp(-((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
            s += k[i];
        }
        for (int i = 0; i < 11; i++) {
            k[i] /= s;
        }
        double[] tmp = new double[w * h];
        double[] out = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double a = 0;
                for (int i = -5; i <= 5; i++) {
                    a += k[i + 5] * in[y * w + Math.clamp(x + i, 0, w - 1)];
                }
                tmp[y * w + x] = a;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double a = 0;
                for (int i = -5; i <= 5; i++) {
                    a += k[i + 5] * tmp[Math.clamp(y + i, 0, h - 1) * w + x];
                }
                out[y * w + x] = a;
            }
        }
        return out;
    }
}
