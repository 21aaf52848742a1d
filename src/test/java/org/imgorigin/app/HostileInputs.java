package org.imgorigin.app;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Hostile and odd inputs, all made here in Java: nothing binary is committed. Each is a
 * {@link Case} with the status an upload gets and the status serving it (stored directly at
 * its key) gets, per README "Responses" and "Upload details".
 */
final class HostileInputs {
    private HostileInputs() {
    }

    static final String PHP = "<?php system($_GET['c']); ?>";

    /**
     * One input: its bytes, the Content-Type the client claims, the status of POST /images and
     * of GET /w_100/&lt;id&gt;.webp, and a text that must not appear in a served variant (or null).
     */
    record Case(String name, byte[] bytes, String contentType, int upload, int serve, String forbidden) {
        @Override
        public String toString() {
            return name;
        }
    }

    static java.util.List<Case> all() throws Exception {
        byte[] jpeg = jpeg(320, 200);
        byte[] png = png(160, 100);
        byte[] webp = ServeImagesContract.fixture("small.webp"); // javax.imageio cannot write WebP
        String ct = "application/octet-stream";
        return java.util.List.of(
                new Case("zero-byte body", new byte[0], "image/jpeg", 400, 415, null),
                new Case("1-byte body", new byte[] {(byte) 0xFF}, "image/jpeg", 415, 415, null),
                new Case("JPEG cut after 40 bytes", Arrays.copyOf(jpeg, 40), ct, 422, 422, null),
                // The header is intact, so the upload (header only, no pixels) accepts it; the
                // render decodes with fail_on=truncated and refuses it.
                new Case("JPEG cut in half", Arrays.copyOf(jpeg, jpeg.length / 2), ct, 201, 422, null),
                new Case("JPEG with zero-size SOF", jpegWithSize(jpeg, 0, 0), ct, 422, 422, null),
                new Case("JPEG with garbage after SOI", concat(Arrays.copyOf(jpeg, 3), noise(4000, 1)), ct, 422, 422, null),
                new Case("JPEG declaring 65500x65500", jpegWithSize(jpeg, 65500, 65500), ct, 422, 422, null),
                new Case("PNG cut after 30 bytes", Arrays.copyOf(png, 30), ct, 422, 422, null),
                new Case("PNG cut in half", Arrays.copyOf(png, png.length / 2), ct, 201, 422, null),
                new Case("PNG with a bad IDAT CRC", corruptIdatCrc(png), ct, 201, 422, null),
                new Case("PNG declaring 40000x40000 (pixel bomb)", UploadTest.pngDeclaring(40_000, 40_000), ct, 422, 422, null),
                new Case("PNG declaring 2^31-1 x 1", pngHeaderOnly(Integer.MAX_VALUE, 1), ct, 422, 422, null),
                new Case("PNG 7000x7000 of zeros (deflate bomb under the pixel limit)", zeroPng(7000, 7000), ct, 201, 200, null),
                new Case("WebP cut after 20 bytes", Arrays.copyOf(webp, 20), ct, 422, 422, null),
                new Case("WebP cut in half", Arrays.copyOf(webp, webp.length / 2), ct, 422, 422, null),
                new Case("WebP with noise after the header", webpNoise(webp), ct, 422, 422, null),
                new Case("TIFF with an IFD offset past the end", tiffBadIfd(), ct, 422, 422, null),
                new Case("AVIF ftyp then garbage", avifGarbage(), ct, 422, 422, null),
                new Case("zip bomb named .png", zipBomb(), "image/png", 415, 415, null),
                new Case("gzip bomb as the body", gzipBomb(), "image/png", 415, 415, null),
                new Case("SVG with an external entity", svgXxe(), "image/svg+xml", 415, 415, null),
                new Case("SVG with an external entity, claimed PNG", svgXxe(), "image/png", 415, 415, null),
                new Case("PDF", pdf(), "application/pdf", 415, 415, null),
                new Case("PDF, claimed JPEG", pdf(), "image/jpeg", 415, 415, null),
                new Case("HTML", "<!doctype html><script>alert(document.cookie)</script>".getBytes(StandardCharsets.UTF_8),
                        "image/png", 415, 415, null),
                new Case("GIFAR-style GIF/JavaScript polyglot", gifJsPolyglot(), "image/gif", 422, 422, null),
                new Case("JPEG with a PHP payload appended", concat(jpeg, PHP.getBytes(StandardCharsets.UTF_8)), ct,
                        201, 200, "<?php"),
                new Case("JPEG with a PHP payload in a COM segment", withSegment(jpeg, 0xFE,
                        PHP.getBytes(StandardCharsets.UTF_8)), ct, 201, 200, "<?php"),
                new Case("PNG with a PHP payload in a tEXt chunk", pngWithText(png, PHP), ct, 201, 200, "<?php"),
                new Case("16-bit RGB PNG", png16(64, 48, 2), ct, 201, 200, null),
                new Case("16-bit grey+alpha PNG", png16(64, 48, 4), ct, 201, 200, null),
                new Case("CMYK JPEG", cmykJpeg(96, 64), ct, 201, 200, null),
                new Case("EXIF orientation 9", withSegment(jpeg, 0xE1, exifOrientation(9)), ct, 201, 200, null),
                new Case("EXIF orientation 65535", withSegment(jpeg, 0xE1, exifOrientation(65535)), ct, 201, 200, null),
                new Case("EXIF segment truncated", withSegment(jpeg, 0xE1,
                        Arrays.copyOf(exifOrientation(6), 14)), ct, 201, 200, null),
                new Case("EXIF IFD pointing past the segment", withSegment(jpeg, 0xE1, exifBadOffset()), ct, 201, 200, null));
    }

    // ---- JPEG ------------------------------------------------------------------------------

    static byte[] jpeg(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 255 / width) << 16 | (y * 255 / height) << 8 | random.nextInt(64));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    /** A four-component JPEG: javax.imageio writes a Raster as is, which libjpeg reads as CMYK. */
    static byte[] cmykJpeg(int width, int height) throws IOException {
        WritableRaster raster = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, width, height, 4, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {x * 255 / width, y * 255 / height, 64, 32});
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The JPEG with its SOFn height and width replaced. */
    static byte[] jpegWithSize(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        int i = 2;
        while (i + 4 < out.length) {
            int marker = out[i + 1] & 0xFF;
            int length = ((out[i + 2] & 0xFF) << 8) | (out[i + 3] & 0xFF);
            if (marker >= 0xC0 && marker <= 0xC2) {
                out[i + 5] = (byte) (height >> 8);
                out[i + 6] = (byte) height;
                out[i + 7] = (byte) (width >> 8);
                out[i + 8] = (byte) width;
                return out;
            }
            i += 2 + length;
        }
        throw new IllegalStateException("no SOF");
    }

    /** The JPEG with one more marker segment right after SOI. */
    static byte[] withSegment(byte[] jpeg, int marker, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(marker);
        int length = payload.length + 2;
        out.write(length >> 8);
        out.write(length);
        out.writeBytes(payload);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** An APP1 Exif payload: a big-endian TIFF with one IFD entry, Orientation = {@code value}. */
    static byte[] exifOrientation(int value) {
        ByteBuffer b = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4);
        b.put("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        b.putShort((short) 1);
        b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) value).putShort((short) 0);
        b.putInt(0);
        return b.array();
    }

    /** An APP1 Exif payload whose first IFD offset points far outside the segment. */
    static byte[] exifBadOffset() {
        ByteBuffer b = ByteBuffer.allocate(6 + 8 + 8);
        b.put("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(0x7FFF_FFF0);
        return b.array();
    }

    // ---- PNG -------------------------------------------------------------------------------

    static byte[] png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, 0x80 << 24 | (x * 255 / width) << 16 | (y * 255 / height) << 8 | 0x40);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** A 16-bit PNG written by hand: colour type 2 (RGB) or 4 (grey + alpha), a gradient. */
    static byte[] png16(int width, int height, int colourType) throws IOException {
        int channels = colourType == 2 ? 3 : 2;
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (int y = 0; y < height; y++) {
            raw.write(0); // filter: none
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < channels; c++) {
                    int v = c == channels - 1 && colourType == 4 ? 0xC000 : (x * 65535 / width + c * y * 997) & 0xFFFF;
                    raw.write(v >> 8);
                    raw.write(v);
                }
            }
        }
        return pngOf(width, height, 16, colourType, deflate(raw.toByteArray()));
    }

    /** A complete, valid 8-bit grey PNG of zeros: tens of MB of pixels in a few tens of KB. */
    static byte[] zeroPng(int width, int height) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(9);
        try (DeflaterOutputStream z = new DeflaterOutputStream(compressed, deflater, 1 << 16)) {
            byte[] row = new byte[width + 1];
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        } finally {
            deflater.end();
        }
        return pngOf(width, height, 8, 0, compressed.toByteArray());
    }

    static byte[] pngHeaderOnly(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_MAGIC);
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static byte[] corruptIdatCrc(byte[] png) {
        byte[] out = png.clone();
        int i = 8;
        while (i + 8 <= out.length) {
            int length = ByteBuffer.wrap(out, i, 4).getInt();
            String type = new String(out, i + 4, 4, StandardCharsets.US_ASCII);
            if (type.equals("IDAT")) {
                int crc = i + 8 + length;
                out[crc] ^= 0x55;
                return out;
            }
            i += 12 + length;
        }
        throw new IllegalStateException("no IDAT");
    }

    /** The PNG with a tEXt chunk inserted right after IHDR. */
    static byte[] pngWithText(byte[] png, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int afterIhdr = 8 + 12 + 13;
        out.write(png, 0, afterIhdr);
        chunk(out, "tEXt", ("Comment\0" + text).getBytes(StandardCharsets.ISO_8859_1));
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

    private static byte[] pngOf(int width, int height, int depth, int colourType, byte[] idat) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_MAGIC);
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) depth)
                .put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    /** Appends one PNG chunk: length, type, data, CRC. */
    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    // ---- other formats and non-images ------------------------------------------------------

    /** The WebP's RIFF and chunk headers kept, its bitstream replaced by noise. */
    static byte[] webpNoise(byte[] webp) {
        byte[] out = webp.clone();
        byte[] noise = noise(out.length, 7);
        System.arraycopy(noise, 0, out, 30, out.length - 30);
        return out;
    }

    static byte[] tiffBadIfd() {
        return ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN).put((byte) 'I').put((byte) 'I')
                .putShort((short) 42).putInt(0x7FFF_FFF0).array();
    }

    static byte[] avifGarbage() {
        ByteBuffer b = ByteBuffer.allocate(24 + 2000);
        b.putInt(24).put("ftypavif".getBytes(StandardCharsets.US_ASCII)).putInt(0)
                .put("mif1avif".getBytes(StandardCharsets.US_ASCII));
        b.put(noise(2000, 3));
        return b.array();
    }

    /** A zip of one 50 MB entry of zeros: about 50 KB. */
    static byte[] zipBomb() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(9);
            zip.putNextEntry(new ZipEntry("image.png"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 50; i++) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    /** 50 MB of zeros, gzipped (the server does not inflate request bodies). */
    static byte[] gzipBomb() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 50; i++) {
                gz.write(zeros);
            }
        }
        return out.toByteArray();
    }

    static byte[] svgXxe() {
        return ("<?xml version=\"1.0\"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><text y=\"20\">&xxe;</text>"
                + "<image href=\"http://169.254.169.254/latest/meta-data/\"/></svg>").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] pdf() {
        return ("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
                + "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Starts like a GIF (the sniffer says GIF) but is a JavaScript payload: GIF89a=...; */
    static byte[] gifJsPolyglot() {
        return "GIF89a=1;/*\u0000\u0000*/alert(document.domain);//<script>alert(1)</script>"
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] noise(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** An endless-looking body: a JPEG signature, then {@code length} bytes in all, made as read. */
    static InputStream lazyBody(long length) {
        return new InputStream() {
            private final byte[] head = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0};
            private long position;

            @Override
            public int read() {
                if (position >= length) {
                    return -1;
                }
                return position < head.length ? head[(int) position++] & 0xFF : (int) (position++ & 0x7F);
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) read();
                }
                return n;
            }
        };
    }
}
