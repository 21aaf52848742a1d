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

    static byte[] encode(VipsScope scope, VipsImage image, ImageFormat format, Optional<Quality> quality,
            boolean progressive, int avifEffort) {
        int q = quality(format, quality);
        return switch (format) {
            case JPEG -> scope.saveJpeg(image, q, progressive);
            case PNG -> scope.savePng(image, progressive);
            case WEBP -> Strip.webpOutput(scope.saveWebp(image, q));
            case AVIF -> scope.saveAvif(image, q, avifEffort);
            case GIF -> scope.saveGif(image);
            case HEIC, TIFF -> throw new IllegalArgumentException("not an output format: " + format);
        };
    }

    /**
     * The numeric quality for a format. {@code q_auto} levels are per format because the
     * scales differ: AVIF at 60 looks like JPEG at 80. No {@code q_} means {@code q_auto:good}.
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
