package org.imgorigin.vips;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.Jazzer;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;

/**
 * Fuzzing for polyglots: bytes that {@link ImageFormat#sniff} calls one format but libvips reads
 * with another format's loader (the {@code avis} brand was one, until the sniffer dropped it).
 * Whatever sniffs as an image and has a header libvips reads must have been read by the loader
 * of that format; anything else is a {@link VipsException}. Seeds are the image seeds of
 * {@code render/FuzzSeedsTest}. Fuzzing: {@code JAZZER_FUZZ=1 mvn -B verify
 * -Dtest='LoaderAgreementFuzzTest#header' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class LoaderAgreementFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void header(byte[] input) {
        Optional<ImageFormat> sniffed = ImageFormat.sniff(input);
        if (sniffed.isEmpty()) {
            return; // refused with 415 before libvips sees it
        }
        VipsScope.Header header;
        try (VipsScope scope = Vips.scope()) {
            header = scope.header(scope.buffer(input));
        } catch (VipsException e) {
            assertThat(e.detail()).isNotBlank();
            Jazzer.exploreState((byte) e.detail().replaceAll("[0-9]+", "#").hashCode(), 1);
            return;
        }
        Jazzer.exploreState((byte) header.loader().hashCode(), 2);
        assertThat(header.loader()).as("loader of bytes sniffed as %s", sniffed.get())
                .isEqualTo(loaderOf(sniffed.get()));
    }

    static String loaderOf(ImageFormat format) {
        return switch (format) {
            case JPEG -> "jpegload_buffer";
            case PNG -> "pngload_buffer";
            case WEBP -> "webpload_buffer";
            case GIF -> "gifload_buffer";
            case AVIF, HEIC -> "heifload_buffer";
            case TIFF -> "tiffload_buffer";
            case JXL -> throw new AssertionError("JPEG XL is never sniffed: its loader is blocked");
        };
    }
}
