package org.imgorigin.placeholder;

import java.util.ArrayList;
import java.util.List;

/**
 * A ThumbHash encoder, written from Evan Wallace's description of the format: the image (at
 * most 100 × 100) in an LPQ(A) colour space, each channel as a few cosine components, packed
 * into a 5-byte header, an alpha byte when there is transparency, and 4-bit ACs.
 */
public final class ThumbHash {
    private ThumbHash() {
    }

    /** Encodes {@code rgba} (width × height ≤ 100 × 100, 4 bytes a pixel, not premultiplied). */
    public static byte[] encode(int w, int h, byte[] rgba) {
        if (w < 1 || h < 1 || w > 100 || h > 100 || rgba.length < w * h * 4) {
            throw new IllegalArgumentException("ThumbHash takes 1 to 100 pixels a side, got " + w + "x" + h);
        }
        int n = w * h;
        double avgR = 0, avgG = 0, avgB = 0, avgA = 0;
        for (int i = 0, j = 0; i < n; i++, j += 4) {
            double alpha = (rgba[j + 3] & 0xff) / 255.0;
            avgR += alpha / 255.0 * (rgba[j] & 0xff);
            avgG += alpha / 255.0 * (rgba[j + 1] & 0xff);
            avgB += alpha / 255.0 * (rgba[j + 2] & 0xff);
            avgA += alpha;
        }
        if (avgA > 0) {
            avgR /= avgA;
            avgG /= avgA;
            avgB /= avgA;
        }
        boolean hasAlpha = avgA < n;
        int limit = hasAlpha ? 5 : 7;
        int lx = (int) Math.max(1, Math.round((double) limit * w / Math.max(w, h)));
        int ly = (int) Math.max(1, Math.round((double) limit * h / Math.max(w, h)));
        double[] l = new double[n], p = new double[n], q = new double[n], a = new double[n];
        for (int i = 0, j = 0; i < n; i++, j += 4) {
            double alpha = (rgba[j + 3] & 0xff) / 255.0;
            double r = avgR * (1 - alpha) + alpha / 255.0 * (rgba[j] & 0xff);
            double g = avgG * (1 - alpha) + alpha / 255.0 * (rgba[j + 1] & 0xff);
            double b = avgB * (1 - alpha) + alpha / 255.0 * (rgba[j + 2] & 0xff);
            l[i] = (r + g + b) / 3;
            p[i] = (r + g) / 2 - b;
            q[i] = r - g;
            a[i] = alpha;
        }
        Channel lc = channel(l, w, h, Math.max(3, lx), Math.max(3, ly));
        Channel pc = channel(p, w, h, 3, 3);
        Channel qc = channel(q, w, h, 3, 3);
        Channel ac = hasAlpha ? channel(a, w, h, 5, 5) : null;
        boolean landscape = w > h;
        long header24 = Math.round(63 * lc.dc) | (Math.round(31.5 + 31.5 * pc.dc) << 6)
                | (Math.round(31.5 + 31.5 * qc.dc) << 12) | (Math.round(31 * lc.scale) << 18)
                | ((hasAlpha ? 1L : 0L) << 23);
        long header16 = (landscape ? ly : lx) | (Math.round(63 * pc.scale) << 3) | (Math.round(63 * qc.scale) << 9)
                | ((landscape ? 1L : 0L) << 15);
        List<Channel> channels = hasAlpha ? List.of(lc, pc, qc, ac) : List.of(lc, pc, qc);
        int acCount = 0;
        for (Channel c : channels) {
            acCount += c.ac.size();
        }
        int start = hasAlpha ? 6 : 5;
        byte[] hash = new byte[start + (acCount + 1) / 2];
        hash[0] = (byte) header24;
        hash[1] = (byte) (header24 >> 8);
        hash[2] = (byte) (header24 >> 16);
        hash[3] = (byte) header16;
        hash[4] = (byte) (header16 >> 8);
        if (hasAlpha) {
            hash[5] = (byte) (Math.round(15 * ac.dc) | (Math.round(15 * ac.scale) << 4));
        }
        int index = 0;
        for (Channel c : channels) {
            for (double f : c.ac) {
                hash[start + (index >> 1)] |= (byte) (Math.round(15 * f) << ((index & 1) * 4));
                index++;
            }
        }
        return hash;
    }

    /** As {@link #encode}, in standard base64 with padding (what the format's own demo prints with btoa). */
    public static String encodeBase64(int w, int h, byte[] rgba) {
        return java.util.Base64.getEncoder().encodeToString(encode(w, h, rgba));
    }

    private record Channel(double dc, List<Double> ac, double scale) {
    }

    private static Channel channel(double[] values, int w, int h, int nx, int ny) {
        double dc = 0, scale = 0;
        List<Double> ac = new ArrayList<>();
        double[] fx = new double[w];
        for (int cy = 0; cy < ny; cy++) {
            for (int cx = 0; cx * ny < nx * (ny - cy); cx++) {
                double f = 0;
                for (int x = 0; x < w; x++) {
                    fx[x] = Math.cos(Math.PI / w * cx * (x + 0.5));
                }
                for (int y = 0; y < h; y++) {
                    double fy = Math.cos(Math.PI / h * cy * (y + 0.5));
                    for (int x = 0; x < w; x++) {
                        f += values[x + y * w] * fx[x] * fy;
                    }
                }
                f /= w * h;
                if (cx > 0 || cy > 0) {
                    ac.add(f);
                    scale = Math.max(scale, Math.abs(f));
                } else {
                    dc = f;
                }
            }
        }
        if (scale > 0) {
            for (int i = 0; i < ac.size(); i++) {
                ac.set(i, 0.5 + 0.5 / scale * ac.get(i));
            }
        }
        return new Channel(dc, ac, scale);
    }
}
