package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Real photos from src/test/resources/images with metadata and payloads written into them,
 * byte by byte, where each format keeps such things: what {@link Strip} must take out. Every
 * injected part carries one of {@link #MARKERS}.
 */
public final class Injected {
    public static final String PHP = "<?php system($_GET['c']); ?>";
    public static final String AUTHOR = "Jane Q. Photographer";
    public static final String HOME = "/home/jane/secret";
    public static final String[] MARKERS = {"<?php", AUTHOR, HOME};

    private Injected() {
    }

    public static byte[] fixture(String name) {
        try (InputStream in = Injected.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- JPEG: COM, APP1 (XMP), APP13 (IPTC), a JFIF APP0 with a thumbnail, bytes after EOI

    public static byte[] jpeg() {
        byte[] clean = fixture("photo.jpg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(clean, 0, 2);
        segment(out, 0xE0, cat(ascii("JFIF\0"), new byte[] {1, 2, 1, 0, 72, 0, 72, 1, 1}, ascii(AUTHOR.substring(0, 3))));
        segment(out, 0xFE, ascii(PHP));
        segment(out, 0xE1, ascii("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>" + AUTHOR + "</dc:creator></x:xmpmeta>"));
        segment(out, 0xED, ascii("Photoshop 3.0\08BIM\u0004\u0004\0\0\0\0\0\u0020" + HOME));
        out.write(clean, 2, clean.length - 2);
        out.writeBytes(ascii(PHP));
        return out.toByteArray();
    }

    /** The photo with an ICC profile (APP2): its pixels depend on it, so no stripping. */
    public static byte[] jpegWithIcc() {
        return jpegWith(0xE2, ascii("ICC_PROFILE\0\1\1" + AUTHOR));
    }

    /** The photo with Adobe's APP14, which decides the colour transform. */
    public static byte[] jpegWithAdobe() {
        return jpegWith(0xEE, new byte[] {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1});
    }

    private static byte[] jpegWith(int marker, byte[] payload) {
        byte[] clean = fixture("photo.jpg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(clean, 0, 2);
        segment(out, marker, payload);
        out.write(clean, 2, clean.length - 2);
        return out.toByteArray();
    }

    private static void segment(ByteArrayOutputStream out, int marker, byte[] payload) {
        out.write(0xFF);
        out.write(marker);
        out.write((payload.length + 2) >> 8);
        out.write((payload.length + 2) & 0xFF);
        out.writeBytes(payload);
    }

    // ---- PNG: tEXt, zTXt, iTXt, tIME, eXIf after IHDR; bytes after IEND

    public static byte[] png(String fixture) {
        return png(fixture(fixture));
    }

    /** {@code clean} (a PNG) with the chunks above. */
    public static byte[] png(byte[] clean) {
        return pngWith(clean,
                chunk("tEXt", ascii("Author\0" + AUTHOR)),
                chunk("zTXt", cat(ascii("Comment\0\0"), deflate(ascii(PHP)))),
                chunk("iTXt", ascii("XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>" + HOME + "</x:xmpmeta>")),
                chunk("tIME", new byte[] {0x07, (byte) 0xEA, 12, 6, 4, 30, 0}),
                chunk("eXIf", ascii("MM\0*\0\0\0\u0008" + AUTHOR)));
    }

    /** With an ICC profile (iCCP): the re-encode must convert it. */
    public static byte[] pngWithIcc(String fixture) {
        return pngWith(fixture(fixture), chunk("iCCP", cat(ascii("Photo\0\0"), deflate(ascii(AUTHOR)))));
    }

    /** With a gamma other than sRGB's. */
    public static byte[] pngWithGamma(String fixture) {
        return pngWith(fixture(fixture), chunk("gAMA", new byte[] {0, 1, (byte) 0x86, (byte) 0xA0}));
    }

    private static byte[] pngWith(byte[] clean, byte[]... chunks) {
        int afterIhdr = 8 + 12 + 13;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(clean, 0, afterIhdr);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        out.write(clean, afterIhdr, clean.length - afterIhdr);
        out.writeBytes(ascii(PHP));
        return out.toByteArray();
    }

    static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(ascii(type)).put(data);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 4, 4 + data.length);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    // ---- GIF: comment, XMP application and plain text extensions; bytes after the trailer

    public static byte[] gif() {
        return gif(fixture("small.gif"));
    }

    /** {@code clean} (a GIF) with the extensions above. */
    public static byte[] gif(byte[] clean) {
        int packed = clean[10] & 0xFF;
        int afterTable = 13 + ((packed & 0x80) != 0 ? 3 << ((packed & 7) + 1) : 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(clean, 0, afterTable);
        out.writeBytes(cat(new byte[] {0x21, (byte) 0xFE}, subBlocks(ascii(PHP))));
        out.writeBytes(cat(new byte[] {0x21, (byte) 0xFF, 11}, ascii("XMP DataXMP"), subBlocks(ascii(AUTHOR))));
        out.writeBytes(cat(new byte[] {0x21, 0x01, 12, 0, 0, 0, 0, 8, 0, 8, 0, 8, 8, 1, 0}, subBlocks(ascii(HOME))));
        out.write(clean, afterTable, clean.length - afterTable);
        out.writeBytes(ascii(PHP));
        return out.toByteArray();
    }

    private static byte[] subBlocks(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < data.length; i += 255) {
            int n = Math.min(255, data.length - i);
            out.write(n);
            out.write(data, i, n);
        }
        out.write(0);
        return out.toByteArray();
    }

    // ---- WebP: EXIF, XMP and an unknown chunk, VP8X flags set; bytes after the RIFF

    public static byte[] webp() {
        return webpWith(0x08 | 0x04, riffChunk("EXIF", ascii("MM\0*\0\0\0\u0008" + AUTHOR)),
                riffChunk("XMP ", ascii("<x:xmpmeta>" + HOME + "</x:xmpmeta>")), riffChunk("ZZZZ", ascii(PHP)));
    }

    /** With an ICC profile chunk (flagged in VP8X), which an original's pixels depend on. */
    public static byte[] webpWithIcc() {
        return webpWith(0x20, riffChunk("ICCP", ascii(AUTHOR)));
    }

    /** Flagged as an animation in VP8X. */
    public static byte[] webpAnimated() {
        return webpWith(0x02);
    }

    private static byte[] webpWith(int flags, byte[]... chunks) {
        byte[] clean = fixture("small.webp"); // VP8X then VP8
        byte[] body = java.util.Arrays.copyOfRange(clean, 12, clean.length);
        body[8] |= (byte) flags;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("RIFF"));
        out.writeBytes(new byte[4]);
        out.writeBytes(ascii("WEBP"));
        out.writeBytes(body);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        byte[] riff = out.toByteArray();
        ByteBuffer.wrap(riff, 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(riff.length - 8);
        return cat(riff, ascii(PHP));
    }

    private static byte[] riffChunk(String id, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length + (data.length & 1)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii(id)).putInt(data.length).put(data);
        return b.array();
    }

    /**
     * The photo as libvips writes a PNG (zlib level 6), with its IDAT deflated again at level
     * 9: the same filtered rows, fewer bytes, so the server's re-encode is the heavier and the
     * original answers.
     */
    public static byte[] tightPng() {
        try {
            byte[] png = new Renderer(RenderLimits.DEFAULTS).render(fixture("photo.jpg"), Fixtures.t("w_600"),
                    org.imgorigin.image.ImageFormat.PNG).bytes();
            ByteArrayOutputStream idat = new ByteArrayOutputStream();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            int p = 8;
            while (p < png.length) {
                int length = ByteBuffer.wrap(png, p, 4).getInt();
                String type = new String(png, p + 4, 4, StandardCharsets.ISO_8859_1);
                if (type.equals("IDAT")) {
                    idat.write(png, p + 8, length);
                } else if (!type.equals("IEND")) {
                    rest.write(png, p, 12 + length);
                }
                p += 12 + length;
            }
            java.util.zip.Inflater inflater = new java.util.zip.Inflater();
            inflater.setInput(idat.toByteArray());
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!inflater.finished()) {
                raw.write(buf, 0, inflater.inflate(buf));
            }
            inflater.end();
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
            deflater.setInput(raw.toByteArray());
            deflater.finish();
            ByteArrayOutputStream tight = new ByteArrayOutputStream();
            while (!deflater.finished()) {
                tight.write(buf, 0, deflater.deflate(buf));
            }
            deflater.end();
            return cat(Arrays.copyOf(png, 8), rest.toByteArray(), chunk("IDAT", tight.toByteArray()),
                    chunk("IEND", new byte[0]));
        } catch (RenderException | java.util.zip.DataFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One injected part per input, named "format: kind", each carrying a marker, so that a
     * part that survives is named by the failing case.
     */
    public static java.util.Map<String, byte[]> oneEach() {
        java.util.Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        byte[] jpeg = fixture("photo.jpg");
        cases.put("JPEG: COM", jpegWith(0xFE, ascii(PHP)));
        cases.put("JPEG: APP1 XMP", jpegWith(0xE1, ascii("http://ns.adobe.com/xap/1.0/\0" + AUTHOR)));
        cases.put("JPEG: APP1 EXIF", jpegWith(0xE1, ascii("Exif\0\0MM\0*\0\0\0\u0008" + HOME)));
        cases.put("JPEG: APP13 IPTC", jpegWith(0xED, ascii("Photoshop 3.0\0" + HOME)));
        cases.put("JPEG: APP15", jpegWith(0xEF, ascii(PHP)));
        cases.put("JPEG: after EOI", cat(jpeg, ascii(PHP)));
        cases.put("PNG: tEXt", pngWith(fixture("alpha.png"), chunk("tEXt", ascii("Author\0" + AUTHOR))));
        cases.put("PNG: zTXt", pngWith(fixture("alpha.png"), chunk("zTXt", cat(ascii(PHP + "\0\0"), deflate(ascii(PHP))))));
        cases.put("PNG: iTXt", pngWith(fixture("alpha.png"), chunk("iTXt", ascii("XML:com.adobe.xmp\0\0\0\0\0" + HOME))));
        cases.put("PNG: eXIf", pngWith(fixture("alpha.png"), chunk("eXIf", ascii("MM\0*\0\0\0\u0008" + AUTHOR))));
        cases.put("PNG: unknown ancillary chunk", pngWith(fixture("alpha.png"), chunk("prVt", ascii(PHP))));
        byte[] gif = fixture("small.gif");
        int packed = gif[10] & 0xFF;
        int afterTable = 13 + ((packed & 0x80) != 0 ? 3 << ((packed & 7) + 1) : 0);
        byte[] head = Arrays.copyOf(gif, afterTable);
        byte[] tail = Arrays.copyOfRange(gif, afterTable, gif.length);
        cases.put("GIF: comment", cat(head, new byte[] {0x21, (byte) 0xFE}, subBlocks(ascii(PHP)), tail));
        cases.put("GIF: XMP application", cat(head, new byte[] {0x21, (byte) 0xFF, 11}, ascii("XMP DataXMP"),
                subBlocks(ascii(AUTHOR)), tail));
        cases.put("GIF: plain text", cat(head, new byte[] {0x21, 0x01, 12, 0, 0, 0, 0, 8, 0, 8, 0, 8, 8, 1, 0},
                subBlocks(ascii(HOME)), tail));
        cases.put("GIF: after the trailer", cat(gif, ascii(PHP)));
        cases.put("WebP: EXIF", webpWith(0x08, riffChunk("EXIF", ascii("MM\0*\0\0\0\u0008" + AUTHOR))));
        cases.put("WebP: XMP", webpWith(0x04, riffChunk("XMP ", ascii(HOME))));
        cases.put("WebP: unknown chunk", webpWith(0, riffChunk("ZZZZ", ascii(PHP))));
        cases.put("WebP: after the RIFF", webpWith(0));
        return cases;
    }

    // ---- helpers

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater();
        d.setInput(data);
        d.finish();
        byte[] buf = new byte[data.length + 64];
        int n = d.deflate(buf);
        d.end();
        return java.util.Arrays.copyOf(buf, n);
    }
}
