package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * JPEG down to what a decoder reads: SOI, a JFIF APP0 (without its thumbnail; with it, a
 * decoder takes three components as YCbCr whatever their ids), DQT, SOF, DHT, DAC, DRI, DNL,
 * each SOS with its entropy-coded data, EOI. COM and APP1-APP13/APP15 (EXIF, XMP, IPTC,
 * maker notes) go, and so does every byte after EOI. An ICC profile (APP2), Adobe's APP14
 * (it decides the colour transform), four components (CMYK/YCCK) or any other marker: empty.
 */
final class JpegStrip {
    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;
    private static final int APP0 = 0xE0;
    private static final int APP2 = 0xE2;
    private static final int APP14 = 0xEE;
    private static final int COM = 0xFE;

    private JpegStrip() {
    }

    static Optional<byte[]> strip(byte[] in) {
        if (in.length < 4 || u8(in, 0) != 0xFF || u8(in, 1) != SOI) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        out.write(0xFF);
        out.write(SOI);
        int p = 2;
        while (true) {
            if (p >= in.length || u8(in, p) != 0xFF) {
                return Optional.empty();
            }
            while (p < in.length && u8(in, p) == 0xFF) {
                p++; // fill bytes before a marker
            }
            int marker = u8(in, p++);
            if (marker == EOI) {
                out.write(0xFF);
                out.write(EOI);
                return Optional.of(out.toByteArray()); // whatever follows EOI is dropped
            }
            int length = (u8(in, p) << 8) | u8(in, p + 1);
            int end = p + length;
            if (length < 2 || end > in.length) {
                return Optional.empty();
            }
            if (marker == APP0) {
                jfif(in, p, length, out); // anything else in an APP0 (JFXX thumbnails) is dropped
            } else if (marker == APP2 || marker == APP14) {
                return Optional.empty(); // a colour profile or transform the pixels depend on
            } else if ((marker >= 0xE1 && marker <= 0xEF) || marker == COM) {
                // metadata: dropped
            } else if (isSof(marker)) {
                if (length < 8 || u8(in, p + 7) > 3) {
                    return Optional.empty(); // CMYK/YCCK: only the re-encode gets its colour right
                }
                copy(in, p - 2, end, out);
            } else if (marker == 0xDB || marker == 0xC4 || marker == 0xCC || marker == 0xDD || marker == 0xDC) {
                copy(in, p - 2, end, out); // DQT, DHT, DAC, DRI, DNL
            } else if (marker == SOS) {
                int data = end;
                int q = data;
                while (q + 1 < in.length) {
                    if (u8(in, q) == 0xFF) {
                        int next = u8(in, q + 1);
                        if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7) && next != 0xFF) {
                            break; // the next marker
                        }
                    }
                    q++;
                }
                if (q + 1 >= in.length) {
                    return Optional.empty(); // no EOI
                }
                copy(in, p - 2, q, out);
                p = q;
                continue;
            } else {
                return Optional.empty(); // a marker we do not know to be harmless
            }
            p = end;
        }
    }

    /** Writes a JFIF APP0 with its version and density but no thumbnail, if this APP0 is JFIF. */
    private static void jfif(byte[] in, int p, int length, ByteArrayOutputStream out) {
        if (length < 16 || !new String(in, p + 2, 5, StandardCharsets.ISO_8859_1).equals("JFIF\0")) {
            return;
        }
        out.write(0xFF);
        out.write(APP0);
        out.write(0);
        out.write(16);
        out.write(in, p + 2, 12); // identifier, version, units, densities
        out.write(0); // no thumbnail
        out.write(0);
    }

    private static boolean isSof(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static void copy(byte[] in, int from, int to, ByteArrayOutputStream out) {
        out.write(in, from, to - from);
    }

    private static int u8(byte[] in, int i) {
        return in[i] & 0xFF;
    }
}
