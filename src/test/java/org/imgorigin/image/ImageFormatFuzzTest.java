package org.imgorigin.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.Optional;

/**
 * Fuzzing of {@link ImageFormat#sniff}: on any bytes it answers (never throws), it decides from
 * the first 16 bytes only (the upload path sniffs exactly those, {@code Receiver.SNIFF_BYTES}),
 * and what it names starts with that format's signature. Seeds: the first 32 bytes of each
 * seed in {@code render/FuzzSeedsTest}. Fuzzing: {@code JAZZER_FUZZ=1 mvn -B verify
 * -Dtest='ImageFormatFuzzTest#sniff' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ImageFormatFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void sniff(byte[] input) {
        Optional<ImageFormat> format = ImageFormat.sniff(input);
        assertThat(ImageFormat.sniff(Arrays.copyOf(input, Math.min(16, input.length)))).isEqualTo(format);
        format.ifPresent(f -> {
            String head = new String(input, 0, Math.min(12, input.length), java.nio.charset.StandardCharsets.ISO_8859_1);
            switch (f) {
                case JPEG -> assertThat(head).startsWith("\u00FF\u00D8\u00FF");
                case PNG -> assertThat(head).startsWith("\u0089PNG\r\n\u001A\n");
                case WEBP -> assertThat(head).startsWith("RIFF").endsWith("WEBP");
                case GIF -> assertThat(head).matches("(?s)GIF8[79]a.*");
                case TIFF -> assertThat(head).matches("(?s)(II\\*\u0000|MM\u0000\\*).*");
                case AVIF -> assertThat(head.substring(4)).isEqualTo("ftypavif");
                case HEIC -> assertThat(head.substring(4, 8)).isEqualTo("ftyp");
                case JXL -> throw new AssertionError("JPEG XL is written, never sniffed as readable");
            }
            assertThat(f.readable()).isTrue();
        });
    }
}
