package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Removes EXIF, XMP and ICC chunks from a WebP file. libvips 8.14's WebP saver writes an EXIF
 * chunk even when asked to strip (it rebuilds one from the image's resolution), so imgorigin
 * drops those chunks from the RIFF container itself and clears their VP8X flags.
 */
final class WebpMetadata {
    private static final int VP8X_ICC = 0x20;
    private static final int VP8X_EXIF = 0x08;
    private static final int VP8X_XMP = 0x04;

    private WebpMetadata() {
    }

    static byte[] strip(byte[] webp) {
        if (webp.length < 12 || !fourcc(webp, 0).equals("RIFF") || !fourcc(webp, 8).equals("WEBP")) {
            return webp;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(webp.length);
        out.write(webp, 0, 12);
        int offset = 12;
        boolean removed = false;
        while (offset + 8 <= webp.length) {
            String id = fourcc(webp, offset);
            int size = ByteBuffer.wrap(webp, offset + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (size < 0 || offset + 8L + size > webp.length) {
                return webp; // not a container we understand: leave it as libvips wrote it
            }
            int padded = size + (size & 1);
            int end = (int) Math.min(webp.length, offset + 8L + padded);
            if (id.equals("EXIF") || id.equals("XMP ") || id.equals("ICCP")) {
                removed = true;
            } else {
                int start = out.size();
                out.write(webp, offset, end - offset);
                if (id.equals("VP8X")) {
                    byte[] sofar = out.toByteArray();
                    sofar[start + 8] &= (byte) ~(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
                    out.reset();
                    out.write(sofar, 0, sofar.length);
                }
            }
            offset = end;
        }
        if (!removed) {
            return webp;
        }
        byte[] result = out.toByteArray();
        ByteBuffer.wrap(result, 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(result.length - 8);
        return result;
    }

    private static String fourcc(byte[] bytes, int offset) {
        return new String(bytes, offset, 4, StandardCharsets.US_ASCII);
    }
}
