package org.imgorigin.render;

import java.util.Optional;
import org.imgorigin.image.ImageFormat;

/**
 * The one owner of taking metadata out of encoded bytes without touching their pixels. An
 * original is served as it is only through {@link #original}: it keeps what a decoder needs
 * to draw the same pixels and drops the rest (EXIF, XMP, IPTC, comments, text chunks, ICC
 * profiles, application blocks, anything after the end marker), since any of it may hold a
 * location, a name, a path or a payload for another program (a {@code <?php} in a PNG text
 * chunk). Where that cannot be done losslessly (a colour profile or colour transform that
 * the pixels depend on, CMYK, animation, an unknown critical part, a layout it cannot
 * parse, or a format it does not take apart: AVIF, HEIC, TIFF) the answer is empty, and the
 * caller serves the re-encoded bytes instead; stripping never fails a request.
 */
final class Strip {
    private Strip() {
    }

    /** The original with only what its pixels need, or empty when the re-encode must answer. */
    static Optional<byte[]> original(ImageFormat format, byte[] bytes) {
        try {
            return switch (format) {
                case JPEG -> JpegStrip.strip(bytes);
                case PNG -> PngStrip.strip(bytes);
                case GIF -> GifStrip.strip(bytes);
                case WEBP -> WebpStrip.strip(bytes, false);
                case AVIF, HEIC, TIFF, JXL -> Optional.empty();
            };
        } catch (RuntimeException malformed) {
            // An index out of bounds on a layout we misread: the re-encode answers.
            return Optional.empty();
        }
    }

    /**
     * libvips 8.14's WebP saver writes an EXIF chunk even when asked to strip (it rebuilds
     * one from the image's resolution), so its output goes through here too. The colour is
     * sRGB by then, so a profile chunk may simply go.
     */
    static byte[] webpOutput(byte[] webp) {
        try {
            return WebpStrip.strip(webp, true).orElse(webp);
        } catch (RuntimeException malformed) {
            return webp;
        }
    }
}
