package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * WebP down to a RIFF holding VP8 or VP8L, or VP8X with ALPH and VP8 (or VP8L): EXIF, XMP and
 * every unknown chunk go, the VP8X flags are cleared to match, the RIFF size is rewritten, and
 * bytes past the RIFF's length are dropped. An animation: empty. An ICC profile: empty for an
 * original (its pixels depend on it), dropped from the encoder's output (already sRGB).
 */
final class WebpStrip {
    private static final int VP8X_ICC = 0x20;
    private static final int VP8X_EXIF = 0x08;
    private static final int VP8X_XMP = 0x04;
    private static final int VP8X_ANIMATION = 0x02;

    private WebpStrip() {
    }

    static Optional<byte[]> strip(byte[] in, boolean dropProfile) {
        if (in.length < 20 || !fourcc(in, 0).equals("RIFF") || !fourcc(in, 8).equals("WEBP")) {
            return Optional.empty();
        }
        long riffEnd = 8L + u32(in, 4);
        if (riffEnd > in.length) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        out.write(in, 0, 12);
        int vp8x = -1;
        boolean image = false;
        int p = 12;
        while (p + 8 <= riffEnd) {
            String id = fourcc(in, p);
            long size = u32(in, p + 4);
            long end = Math.min(riffEnd, p + 8L + size + (size & 1));
            if (p + 8L + size > riffEnd) {
                return Optional.empty();
            }
            switch (id) {
                case "VP8X" -> {
                    if (size < 10 || (in[p + 8] & VP8X_ANIMATION) != 0) {
                        return Optional.empty();
                    }
                    vp8x = out.size();
                    out.write(in, p, (int) (end - p));
                }
                case "ALPH", "VP8 ", "VP8L" -> {
                    image |= !id.equals("ALPH");
                    out.write(in, p, (int) (end - p));
                }
                case "ANIM", "ANMF" -> {
                    return Optional.empty();
                }
                case "ICCP" -> {
                    if (!dropProfile) {
                        return Optional.empty();
                    }
                }
                default -> {
                    // EXIF, XMP and anything unknown: dropped
                }
            }
            p = (int) end;
        }
        if (!image) {
            return Optional.empty();
        }
        byte[] result = out.toByteArray();
        if (vp8x >= 0) {
            result[vp8x + 8] &= (byte) ~(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
        }
        ByteBuffer.wrap(result, 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(result.length - 8);
        return Optional.of(result);
    }

    private static long u32(byte[] in, int i) {
        return ByteBuffer.wrap(in, i, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
    }

    private static String fourcc(byte[] in, int i) {
        return new String(in, i, 4, StandardCharsets.US_ASCII);
    }
}
