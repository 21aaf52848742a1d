package org.imgorigin.render;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;

/** Real test images from src/test/resources/images, and small helpers to look at results. */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] image(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/images/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Transformation t(String segment) {
        return segment.isEmpty() ? Transformation.NONE : TransformationParser.parse(segment, Presets.NONE);
    }

    /** Decodes JPEG, PNG or GIF with the JDK, to check pixels independently of libvips. */
    static BufferedImage decode(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new IllegalStateException("the JDK cannot decode these bytes");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same JPEG with an EXIF APP1 segment saying "rotate 90° clockwise to display" (orientation 6). */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        byte[] app1 = {
            (byte) 0xFF, (byte) 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
            'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
            0x00, 0x01,
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, (byte) orientation, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        };
        byte[] out = new byte[jpeg.length + app1.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app1, 0, out, 2, app1.length);
        System.arraycopy(jpeg, 2, out, 2 + app1.length, jpeg.length - 2);
        return out;
    }

    /** Mean absolute difference per channel sample, 0-255, of two images of the same size. */
    static double meanDifference(BufferedImage a, BufferedImage b) {
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    sum += Math.abs(((p >> shift) & 0xFF) - ((q >> shift) & 0xFF));
                }
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }

    /** Standard deviation of luminance: near 0 for a flat region, high for detail. */
    static double luminanceSpread(BufferedImage image) {
        double sum = 0;
        double sumSq = 0;
        int n = image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                double l = 0.299 * ((p >> 16) & 0xFF) + 0.587 * ((p >> 8) & 0xFF) + 0.114 * (p & 0xFF);
                sum += l;
                sumSq += l * l;
            }
        }
        double mean = sum / n;
        return Math.sqrt(Math.max(0, sumSq / n - mean * mean));
    }

    /**
     * Header fields of an encoded image as libvips' {@code vipsheader} command reports them
     * (it runs without the server's loader policy, so it reads JPEG XL too).
     */
    static java.util.List<String> vipsheader(byte[] image, String... fields) throws java.io.IOException, InterruptedException {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("imgorigin-", ".img");
        try {
            java.nio.file.Files.write(file, image);
            java.util.List<String> values = new java.util.ArrayList<>();
            for (String field : fields) {
                Process p = new ProcessBuilder("vipsheader", "-f", field, file.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("vipsheader -f " + field + " failed");
                }
                values.add(out);
            }
            return values;
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
