package org.imgorigin.image;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The image formats imgorigin reads or writes. Most are both; HEIC and TIFF are read only,
 * and JPEG XL is written only: libvips 8.14 marks its JPEG XL loader untrusted, so
 * {@code Vips.init} keeps it blocked and {@link #sniff} never answers {@link #JXL} (an upload
 * or an original in JPEG XL is refused; {@link #isJpegXl} lets the refusal say why). Sniffing
 * looks at the bytes only: a client's {@code Content-Type} or file name is never trusted.
 */
public enum ImageFormat {
    JPEG("jpg", "image/jpeg", true, true, false),
    PNG("png", "image/png", true, true, true),
    WEBP("webp", "image/webp", true, true, true),
    AVIF("avif", "image/avif", true, true, true),
    GIF("gif", "image/gif", true, true, true),
    HEIC("heic", "image/heic", true, false, true),
    TIFF("tiff", "image/tiff", true, false, true),
    /** Output only: see the class comment. */
    JXL("jxl", "image/jxl", false, true, true);

    private final String extension;
    private final String mimeType;
    private final boolean readable;
    private final boolean writable;
    private final boolean supportsAlpha;

    ImageFormat(String extension, String mimeType, boolean readable, boolean writable, boolean supportsAlpha) {
        this.extension = extension;
        this.mimeType = mimeType;
        this.readable = readable;
        this.writable = writable;
        this.supportsAlpha = supportsAlpha;
    }

    /** The canonical file extension, as printed in URLs. */
    public String extension() {
        return extension;
    }

    public String mimeType() {
        return mimeType;
    }

    /** Whether imgorigin decodes this format: {@link #sniff} answers only these. */
    public boolean readable() {
        return readable;
    }

    /** Whether imgorigin can encode to this format. */
    public boolean writable() {
        return writable;
    }

    public boolean supportsAlpha() {
        return supportsAlpha;
    }

    /** Whether imgorigin writes animations in this format: GIF and WebP (libvips 8.14 writes no animated AVIF). */
    public boolean animates() {
        return this == GIF || this == WEBP;
    }

    /** An output format by URL extension or {@code f_} value; {@code jpeg} is an alias of {@code jpg}. */
    public static Optional<ImageFormat> ofExtension(String ext) {
        String e = ext.toLowerCase(Locale.ROOT);
        if (e.equals("jpeg")) {
            return Optional.of(JPEG);
        }
        return Arrays.stream(values()).filter(f -> f.writable && f.extension.equals(e)).findFirst();
    }

    /** The format of an image from its first bytes (16 are enough), or empty if it is none we read. */
    public static Optional<ImageFormat> sniff(byte[] head) {
        if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (startsWith(head, 0, 'R', 'I', 'F', 'F') && startsWith(head, 8, 'W', 'E', 'B', 'P')) {
            return Optional.of(WEBP);
        }
        if (startsWith(head, 0, 'G', 'I', 'F', '8', '7', 'a') || startsWith(head, 0, 'G', 'I', 'F', '8', '9', 'a')) {
            return Optional.of(GIF);
        }
        if (startsWith(head, 0, 'I', 'I', 0x2A, 0x00) || startsWith(head, 0, 'M', 'M', 0x00, 0x2A)) {
            return Optional.of(TIFF);
        }
        if (startsWith(head, 4, 'f', 't', 'y', 'p') && head.length >= 12) {
            String brand = new String(head, 8, 4, java.nio.charset.StandardCharsets.US_ASCII);
            // Only the major brands libvips 8.14's HEIF loader claims: with any other (avis,
            // hevx) libvips looked for another loader and handed the bytes to ImageMagick.
            return switch (brand) {
                case "avif" -> Optional.of(AVIF);
                case "heic", "heix", "heim", "heis", "hevc", "mif1", "msf1" -> Optional.of(HEIC);
                default -> Optional.empty();
            };
        }
        return Optional.empty();
    }

    /**
     * Whether the bytes start like JPEG XL, a bare codestream ({@code FF 0A}) or the ISO BMFF
     * container (a 12-byte {@code JXL } signature box). Only to name the format when refusing it.
     */
    public static boolean isJpegXl(byte[] head) {
        return startsWith(head, 0, 0xFF, 0x0A)
                || startsWith(head, 0, 0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A);
    }

    private static boolean startsWith(byte[] bytes, int offset, int... magic) {
        if (bytes.length < offset + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((bytes[offset + i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
