package org.imgorigin.placeholder;

/**
 * A BlurHash encoder, written from the algorithm's description (woltapp/blurhash): a few
 * cosine components of the image in linear light, the DC as sRGB, the ACs quantised against
 * their largest magnitude, all in base 83.
 */
public final class BlurHash {
    private static final String DIGITS =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

    private BlurHash() {
    }

    /** Encodes {@code rgba} (width × height, 4 bytes a pixel, alpha ignored) with {@code cx} × {@code cy} components (1-9 each). */
    public static String encode(int width, int height, byte[] rgba, int cx, int cy) {
        if (cx < 1 || cx > 9 || cy < 1 || cy > 9) {
            throw new IllegalArgumentException("components must be 1 to 9");
        }
        if (width < 1 || height < 1 || rgba.length < width * height * 4) {
            throw new IllegalArgumentException("no pixels");
        }
        double[] linear = new double[width * height * 3];
        for (int i = 0; i < width * height; i++) {
            for (int c = 0; c < 3; c++) {
                linear[i * 3 + c] = toLinear(rgba[i * 4 + c] & 0xff);
            }
        }
        double[][] factors = new double[cx * cy][];
        for (int j = 0; j < cy; j++) {
            for (int i = 0; i < cx; i++) {
                double normalisation = i == 0 && j == 0 ? 1 : 2;
                double r = 0, g = 0, b = 0;
                for (int x = 0; x < width; x++) {
                    for (int y = 0; y < height; y++) {
                        double basis = normalisation * Math.cos(Math.PI * i * x / width)
                                * Math.cos(Math.PI * j * y / height);
                        int p = (y * width + x) * 3;
                        r += basis * linear[p];
                        g += basis * linear[p + 1];
                        b += basis * linear[p + 2];
                    }
                }
                double scale = 1.0 / (width * height);
                factors[j * cx + i] = new double[] {r * scale, g * scale, b * scale};
            }
        }
        StringBuilder hash = new StringBuilder();
        base83(hash, (cx - 1) + (cy - 1) * 9, 1);
        double maximum = 1;
        if (factors.length > 1) {
            // The largest AC value, signed, as the npm reference (what browsers decode with)
            // takes it; the C one takes magnitudes. Either decodes: a larger negative value is
            // clamped by the quantisation.
            double actual = Double.NEGATIVE_INFINITY;
            for (int k = 1; k < factors.length; k++) {
                for (double v : factors[k]) {
                    actual = Math.max(actual, v);
                }
            }
            int quantised = (int) Math.max(0, Math.min(82, Math.floor(actual * 166 - 0.5)));
            maximum = (quantised + 1) / 166.0;
            base83(hash, quantised, 1);
        } else {
            base83(hash, 0, 1);
        }
        double[] dc = factors[0];
        base83(hash, (toSrgb(dc[0]) << 16) + (toSrgb(dc[1]) << 8) + toSrgb(dc[2]), 4);
        for (int k = 1; k < factors.length; k++) {
            double[] ac = factors[k];
            int value = quantise(ac[0], maximum) * 19 * 19 + quantise(ac[1], maximum) * 19 + quantise(ac[2], maximum);
            base83(hash, value, 2);
        }
        return hash.toString();
    }

    private static int quantise(double value, double maximum) {
        double v = value / maximum;
        double signed = Math.copySign(Math.pow(Math.abs(v), 0.5), v);
        return (int) Math.max(0, Math.min(18, Math.floor(signed * 9 + 9.5)));
    }

    private static void base83(StringBuilder out, int value, int length) {
        for (int i = 1; i <= length; i++) {
            int digit = (int) ((value / (long) Math.pow(83, length - i)) % 83);
            out.append(DIGITS.charAt(digit));
        }
    }

    static double toLinear(int value) {
        double v = value / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }

    static int toSrgb(double value) {
        double v = Math.max(0, Math.min(1, value));
        return v <= 0.0031308 ? (int) (v * 12.92 * 255 + 0.5) : (int) ((1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
    }
}
