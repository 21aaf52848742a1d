package org.imgorigin.render;

import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation.Quality;
import org.imgorigin.vips.VipsImage;
import org.imgorigin.vips.VipsScope;

/** Encodes the final image, metadata stripped, at the quality {@code q_} asks for. */
final class Encoder {
    private Encoder() {
    }

    /** {@code effort} is the AVIF or JPEG XL encoder's ({@link EncodeBudget#effort}); the others ignore it. */
    static byte[] encode(VipsScope scope, VipsImage image, ImageFormat format, Optional<Quality> quality,
            boolean progressive, int effort) {
        int q = quality(format, quality);
        return switch (format) {
            case JPEG -> scope.saveJpeg(image, q, progressive);
            case PNG -> scope.savePng(image, progressive);
            case WEBP -> Strip.webpOutput(scope.saveWebp(image, q));
            case AVIF -> scope.saveAvif(image, q, effort);
            case GIF -> scope.saveGif(image);
            case JXL -> scope.saveJxl(image, q, effort);
            case HEIC, TIFF -> throw new IllegalArgumentException("not an output format: " + format);
        };
    }

    /**
     * The numeric quality for a format. {@code q_auto} levels are per format because the
     * scales differ: AVIF at 60 looks like JPEG at 80. No {@code q_} means {@code q_auto:good}.
     * JPEG XL's levels (libvips' Q: distance 1.0, 2.35, 2.8 and 3.7) are the lowest at which its
     * luma SSIM was at least both AVIF's and WebP's at the same level on 17 of the 22 benchmark
     * photos, at 640 and 1280 px (docs/jpeg-xl.md): lower, libjxl 0.7 smeared the
     * texture of detailed and dark photos that AVIF kept.
     */
    static int quality(ImageFormat format, Optional<Quality> quality) {
        return switch (quality.orElse(new Quality.Auto(Quality.Level.GOOD))) {
            case Quality.Fixed f -> f.value();
            case Quality.Auto a -> switch (format) {
                case AVIF -> switch (a.level()) {
                    case BEST -> 75;
                    case GOOD -> 60;
                    case ECO -> 50;
                    case LOW -> 40;
                };
                case JXL -> switch (a.level()) {
                    case BEST -> 90;
                    case GOOD -> 75;
                    case ECO -> 70;
                    case LOW -> 60;
                };
                case WEBP -> switch (a.level()) {
                    case BEST -> 88;
                    case GOOD -> 78;
                    case ECO -> 68;
                    case LOW -> 55;
                };
                default -> switch (a.level()) {
                    case BEST -> 90;
                    case GOOD -> 80;
                    case ECO -> 70;
                    case LOW -> 60;
                };
            };
        };
    }
}
