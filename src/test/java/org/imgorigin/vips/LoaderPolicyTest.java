package org.imgorigin.vips;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The loaders libvips may run, asked of the binding itself, below the sniffer: the six formats
 * imgorigin reads decode; every other format libvips 8.14 (Debian) has a buffer loader for is
 * refused inside libvips, "operation is blocked". Without {@link Vips#LOADERS} each of the
 * blocked ones below decoded (SVG by librsvg, PDF by poppler, PPM, PGM and FITS by ImageMagick,
 * Radiance, JPEG 2000 and JPEG XL by libvips' own loaders).
 */
class LoaderPolicyTest {
    @Test
    void everyAllowedLoaderAndAWriterOfEachFormatExistInThisLibvips() {
        Vips.init();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : Vips.LOADERS) {
                assertThat(Native.callLong("g_type_from_name", -1, arena.allocateFrom(name))).as(name).isNotZero();
            }
            for (List<String> names : Vips.SAVERS) {
                assertThat(names).as("a saver of " + names).anySatisfy(name ->
                        assertThat(Native.callLong("g_type_from_name", -1, arena.allocateFrom(name))).isNotZero());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpeg", "png", "webp", "gif", "avif", "tiff"})
    void theFormatsImgoriginReadsStillLoad(String format) throws IOException {
        byte[] bytes = allowed(format);
        try (VipsScope scope = Vips.scope()) {
            var buffer = scope.buffer(bytes);
            VipsScope.Header header = scope.header(buffer);
            assertThat(header.width()).as(format).isPositive();
            assertThat(header.loader()).isEqualTo(switch (format) {
                case "jpeg" -> "jpegload_buffer";
                case "png" -> "pngload_buffer";
                case "webp" -> "webpload_buffer";
                case "gif" -> "gifload_buffer";
                case "avif" -> "heifload_buffer";
                default -> "tiffload_buffer";
            });
            VipsImage thumb = scope.thumbnail(buffer, 16, 16, VipsScope.Size.BOTH, false);
            assertThat(thumb.width()).as(format).isLessThanOrEqualTo(16);
            assertThat(scope.savePng(thumb, false)).isNotEmpty(); // the pixels really decode
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"svg", "pdf", "ppm", "pgm", "fits", "radiance", "jp2k", "jxl", "avis-brand avif"})
    void everyOtherLoaderIsBlockedInsideLibvips(String format) throws IOException {
        byte[] bytes = blocked(format);
        try (VipsScope scope = Vips.scope()) {
            var buffer = scope.buffer(bytes);
            assertThatThrownBy(() -> scope.header(buffer)).as(format).isInstanceOf(VipsException.class)
                    .satisfies(e -> assertThat(((VipsException) e).detail()).contains("operation is blocked"));
            assertThatThrownBy(() -> scope.thumbnail(buffer, 16, 16, VipsScope.Size.BOTH, false)).as(format)
                    .isInstanceOf(VipsException.class)
                    .satisfies(e -> assertThat(((VipsException) e).detail()).contains("operation is blocked"));
        }
    }

    /**
     * JPEG XL is written but not read: the saver runs (on imgorigin's own pixels), and what it
     * writes (a bare codestream, metadata stripped) is refused by the sniffer and, below it, by
     * libvips, whose JPEG XL loader stays blocked. The container's signature box is named too.
     */
    @Test
    void jpegXlIsWrittenButItsOutputIsNotRead() throws IOException {
        byte[] jxl;
        try (VipsScope scope = Vips.scope()) {
            var buffer = scope.buffer(resource("/images/photo.jpg"));
            jxl = scope.saveJxl(scope.thumbnail(buffer, 64, 64, VipsScope.Size.BOTH, false), 75, 4);
        }
        assertThat(ImageFormat.isJpegXl(jxl)).isTrue();
        assertThat(ImageFormat.isJpegXl(resource("/vips/small.jxl"))).isTrue();
        byte[] container = {0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, (byte) 0x87, 0x0A, 0, 0, 0, 0x14};
        assertThat(ImageFormat.isJpegXl(container)).isTrue();
        assertThat(ImageFormat.sniff(container)).isEmpty();
        for (byte[] bytes : new byte[][] {jxl, resource("/vips/small.jxl")}) {
            assertThat(ImageFormat.sniff(Arrays.copyOf(bytes, 16))).isEmpty();
            try (VipsScope scope = Vips.scope()) {
                var buffer = scope.buffer(bytes);
                assertThatThrownBy(() -> scope.header(buffer)).isInstanceOf(VipsException.class)
                        .satisfies(e -> assertThat(((VipsException) e).detail()).contains("operation is blocked"));
            }
        }
    }

    /** Formats libvips 8.14 has no buffer loader for (ImageMagick was the fallback for some). */
    @ParameterizedTest
    @ValueSource(strings = {"csv", "matrix", "vips"})
    void textAndVipsFormatsAreNoKnownFormat(String format) {
        byte[] bytes = switch (format) {
            case "csv" -> "1,2,3\n4,5,6\n".getBytes(StandardCharsets.US_ASCII);
            case "matrix" -> "2 2 1 0\n1 2\n3 4\n".getBytes(StandardCharsets.US_ASCII);
            default -> vipsFormat();
        };
        try (VipsScope scope = Vips.scope()) {
            var buffer = scope.buffer(bytes);
            assertThatThrownBy(() -> scope.header(buffer)).as(format).isInstanceOf(VipsException.class);
        }
    }

    /**
     * The polyglot that made sniffing alone not enough: an AVIF whose major brand is {@code avis}
     * (or {@code hevx}) sniffed as AVIF (HEIC), but libvips 8.14's HEIF loader does not claim
     * that brand, so libvips looked further and handed the bytes to ImageMagick (which tried them
     * as TGA). Now the sniffer refuses them (415), and libvips would block ImageMagick anyway
     * (above). Every brand the sniffer still accepts is one the HEIF loader reads.
     */
    @Test
    void anFtypBrandTheHeifLoaderRefusesIsNotSniffedAsAnImage() {
        byte[] avif = avif();
        for (String brand : new String[] {"avis", "hevx"}) {
            assertThat(ImageFormat.sniff(Arrays.copyOf(withBrand(avif, brand), 16))).as(brand).isEmpty();
        }
        for (String brand : new String[] {"avif", "heic", "heix", "heim", "heis", "hevc", "mif1", "msf1"}) {
            byte[] file = withBrand(avif, brand);
            assertThat(ImageFormat.sniff(Arrays.copyOf(file, 16))).as(brand).isPresent();
            try (VipsScope scope = Vips.scope()) {
                assertThat(scope.header(scope.buffer(file)).width()).as(brand).isPositive();
            }
        }
    }

    // --- inputs -------------------------------------------------------------------------------

    static byte[] allowed(String format) throws IOException {
        return switch (format) {
            case "jpeg" -> resource("/images/photo.jpg");
            case "png" -> resource("/images/alpha.png");
            case "webp" -> resource("/images/small.webp");
            case "gif" -> resource("/images/small.gif");
            case "avif" -> avif();
            case "tiff" -> tiff();
            default -> throw new IllegalArgumentException(format);
        };
    }

    static byte[] blocked(String format) throws IOException {
        return switch (format) {
            case "svg" -> ("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"30\">"
                    + "<rect width=\"40\" height=\"30\" fill=\"red\"/></svg>").getBytes(StandardCharsets.US_ASCII);
            case "pdf" -> pdf();
            case "ppm" -> netpbm("P6", 3);
            case "pgm" -> netpbm("P5", 1);
            case "fits" -> fits();
            case "radiance" -> radiance();
            case "jp2k" -> resource("/vips/small.jp2");
            case "jxl" -> resource("/vips/small.jxl");
            case "avis-brand avif" -> withBrand(avif(), "avis");
            default -> throw new IllegalArgumentException(format);
        };
    }

    /** A 64 px AVIF encoded by libvips from the test photo. */
    static byte[] avif() {
        try (VipsScope scope = Vips.scope()) {
            var buffer = scope.buffer(resource("/images/photo.jpg"));
            return scope.saveAvif(scope.thumbnail(buffer, 64, 64, VipsScope.Size.BOTH, false), 50, 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A small RGB TIFF written by the JDK's TIFF writer. */
    static byte[] tiff() throws IOException {
        BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                image.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | 0x40);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "tiff", out)) {
            throw new IllegalStateException("the JDK has no TIFF writer");
        }
        return out.toByteArray();
    }

    static byte[] withBrand(byte[] isobmff, String brand) {
        byte[] copy = isobmff.clone();
        System.arraycopy(brand.getBytes(StandardCharsets.US_ASCII), 0, copy, 8, 4);
        return copy;
    }

    private static byte[] netpbm(String magic, int channels) {
        byte[] header = (magic + "\n8 6\n255\n").getBytes(StandardCharsets.US_ASCII);
        byte[] pixels = new byte[8 * 6 * channels];
        Arrays.fill(pixels, (byte) 0x80);
        return concat(header, pixels);
    }

    /** A minimal FITS file: one 2880-byte header of 80-column cards, an 8×6 8-bit image. */
    private static byte[] fits() {
        StringBuilder cards = new StringBuilder();
        for (String card : new String[] {"SIMPLE  =                    T", "BITPIX  =                    8",
                "NAXIS   =                    2", "NAXIS1  =                    8", "NAXIS2  =                    6",
                "END"}) {
            cards.append(String.format("%-80s", card));
        }
        while (cards.length() % 2880 != 0) {
            cards.append(' ');
        }
        byte[] data = new byte[2880];
        Arrays.fill(data, 0, 48, (byte) 0x40);
        return concat(cards.toString().getBytes(StandardCharsets.US_ASCII), data);
    }

    /** A flat (not run-length encoded) Radiance HDR image, 8×6. */
    private static byte[] radiance() {
        byte[] header = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 6 +X 8\n".getBytes(StandardCharsets.US_ASCII);
        byte[] pixels = new byte[8 * 6 * 4];
        for (int i = 0; i < pixels.length; i += 4) {
            pixels[i] = (byte) 0x80;
            pixels[i + 1] = (byte) 0x80;
            pixels[i + 2] = (byte) 0x80;
            pixels[i + 3] = (byte) 0x81;
        }
        return concat(header, pixels);
    }

    /** A one-page PDF filling a rectangle, with correct xref offsets. */
    private static byte[] pdf() {
        String[] objects = {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 40 30] /Contents 4 0 R >>",
            "<< /Length 24 >>\nstream\n0 0 1 rg 0 0 40 30 re f\nendstream",
        };
        StringBuilder pdf = new StringBuilder("%PDF-1.4\n");
        int[] offsets = new int[objects.length];
        for (int i = 0; i < objects.length; i++) {
            offsets[i] = pdf.length();
            pdf.append(i + 1).append(" 0 obj\n").append(objects[i]).append("\nendobj\n");
        }
        int xref = pdf.length();
        pdf.append("xref\n0 ").append(objects.length + 1).append("\n0000000000 65535 f \n");
        for (int offset : offsets) {
            pdf.append(String.format("%010d 00000 n \n", offset));
        }
        pdf.append("trailer\n<< /Size ").append(objects.length + 1).append(" /Root 1 0 R >>\nstartxref\n")
                .append(xref).append("\n%%EOF\n");
        return pdf.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The start of a libvips .v file (its own format): magic 08 f2 a6 b6, then zeros. */
    private static byte[] vipsFormat() {
        byte[] v = new byte[64 + 8 * 6];
        v[0] = (byte) 0x08;
        v[1] = (byte) 0xf2;
        v[2] = (byte) 0xa6;
        v[3] = (byte) 0xb6;
        return v;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = LoaderPolicyTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
