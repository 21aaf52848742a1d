package org.imgorigin.render;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * GIF down to its header, screen descriptor, colour tables, graphic control extensions (they
 * carry transparency and an animation's delays), the NETSCAPE looping block, its images (every
 * frame of an animation) and the trailer. Comment (0xFE), plain text (0x01) and every other
 * application extension (XMP, ICC) go, and so does every byte after the trailer. An unknown
 * block, or data cut short: empty.
 */
final class GifStrip {
    private static final int EXTENSION = 0x21;
    private static final int IMAGE = 0x2C;
    private static final int TRAILER = 0x3B;
    private static final int GRAPHIC_CONTROL = 0xF9;
    private static final int APPLICATION = 0xFF;

    private GifStrip() {
    }

    static Optional<byte[]> strip(byte[] in) {
        if (in.length < 13) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        int p = 13 + colourTable(in[10]);
        out.write(in, 0, p);
        int images = 0;
        while (true) {
            int block = in[p] & 0xFF;
            if (block == TRAILER) {
                out.write(TRAILER);
                return images >= 1 ? Optional.of(out.toByteArray()) : Optional.empty();
            } else if (block == EXTENSION) {
                int label = in[p + 1] & 0xFF;
                int end = subBlocks(in, p + 2);
                boolean keep = label == GRAPHIC_CONTROL
                        || (label == APPLICATION && (in[p + 2] & 0xFF) == 11
                            && new String(in, p + 3, 11, StandardCharsets.ISO_8859_1).equals("NETSCAPE2.0"));
                if (keep) {
                    out.write(in, p, end - p);
                }
                p = end;
            } else if (block == IMAGE) {
                images++;
                int data = p + 10 + colourTable(in[p + 9]);
                int end = subBlocks(in, data + 1); // after the LZW minimum code size
                out.write(in, p, end - p);
                p = end;
            } else {
                return Optional.empty();
            }
        }
    }

    /**
     * Whether every block of the GIF is whole: its image data ends inside the file, and the file
     * ends with the trailer or right after a whole block (some encoders leave the trailer out).
     * libvips decodes a frame cut short with its missing rows blank and says so only in a log
     * line, so this is what tells a truncated animation from a whole one.
     */
    static boolean complete(byte[] in) {
        try {
            if (in.length < 13) {
                return false;
            }
            int p = 13 + colourTable(in[10]);
            while (p < in.length) {
                int block = in[p] & 0xFF;
                if (block == TRAILER) {
                    return true;
                } else if (block == EXTENSION) {
                    p = subBlocks(in, p + 2);
                } else if (block == IMAGE) {
                    p = subBlocks(in, p + 10 + colourTable(in[p + 9]) + 1);
                } else {
                    return false;
                }
            }
            return p == in.length;
        } catch (IndexOutOfBoundsException cutShort) {
            return false;
        }
    }

    /** Bytes of the colour table a packed-fields byte announces (0 when it has none). */
    private static int colourTable(byte packed) {
        return (packed & 0x80) != 0 ? 3 << ((packed & 0x07) + 1) : 0;
    }

    /** The offset after a chain of sub-blocks starting at {@code p} (its 0 terminator included). */
    private static int subBlocks(byte[] in, int p) {
        while (true) {
            int size = in[p] & 0xFF;
            p += 1 + size;
            if (size == 0) {
                return p;
            }
            if (p > in.length) {
                throw new IndexOutOfBoundsException("sub-block past the end");
            }
        }
    }
}
