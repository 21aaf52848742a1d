package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * PNG down to IHDR, PLTE, tRNS, IDAT and IEND, each copied whole with its CRC, so every CRC
 * stays valid. Every other ancillary chunk goes (tEXt, zTXt, iTXt, tIME, eXIf, pHYs, bKGD,
 * APNG's acTL/fcTL/fdAT: the still image is IDAT, which is what libvips decodes too), and so
 * does every byte after IEND. Colour information other than plain sRGB (iCCP, cHRM, sBIT,
 * a gAMA other than sRGB's 1/2.2) or an unknown critical chunk: empty, and the re-encode
 * (which converts to sRGB) answers.
 */
final class PngStrip {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    private static final Set<String> KEPT = Set.of("IHDR", "PLTE", "tRNS", "IDAT", "IEND");
    private static final Set<String> COLOUR = Set.of("iCCP", "cHRM", "sBIT");
    /** gAMA of sRGB (1/2.2 times 100 000, as encoders write it): harmless to drop. */
    private static final int SRGB_GAMMA = 45455;

    private PngStrip() {
    }

    static Optional<byte[]> strip(byte[] in) {
        if (in.length < SIGNATURE.length || !java.util.Arrays.equals(in, 0, 8, SIGNATURE, 0, 8)) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        out.write(in, 0, SIGNATURE.length);
        int p = SIGNATURE.length;
        while (p + 12 <= in.length) {
            long length = u32(in, p);
            String type = new String(in, p + 4, 4, StandardCharsets.ISO_8859_1);
            long end = p + 12L + length;
            if (end > in.length) {
                return Optional.empty();
            }
            if (KEPT.contains(type)) {
                out.write(in, p, (int) (end - p));
                if (type.equals("IEND")) {
                    return Optional.of(out.toByteArray()); // whatever follows IEND is dropped
                }
            } else if (COLOUR.contains(type)
                    || (type.equals("gAMA") && (length != 4 || u32(in, p + 8) != SRGB_GAMMA))) {
                return Optional.empty();
            } else if (Character.isUpperCase(type.charAt(0))) {
                return Optional.empty(); // critical: a decoder must understand it, so must we
            }
            p = (int) end;
        }
        return Optional.empty(); // no IEND
    }

    private static long u32(byte[] in, int i) {
        return ((in[i] & 0xFFL) << 24) | ((in[i + 1] & 0xFFL) << 16) | ((in[i + 2] & 0xFFL) << 8) | (in[i + 3] & 0xFFL);
    }
}
