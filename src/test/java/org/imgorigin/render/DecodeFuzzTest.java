package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.Jazzer;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Duration;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationParser;

/**
 * Fuzzing of decoding: arbitrary bytes given to {@link Renderer}, below HTTP. libvips and the
 * codecs under it (libjpeg-turbo, libpng, libwebp, libnsgif, libheif, libtiff) are C, not
 * instrumented by Jazzer: coverage guides the fuzzer through the Java side only. To give it
 * some sight of the C side, each distinct libvips error text (digits removed) and each kind of
 * header that decoded is reported as a state to explore ({@link Jazzer#exploreState}), so an
 * input that fails in a new way in C is kept in the corpus. The seeds (real images broken the
 * usual ways, {@link FuzzSeedsTest}) do the rest; a crash in C kills the fuzzing JVM and shows
 * as a failed run.
 *
 * <ul>
 * <li>{@code inspect}: the header only (upload's check). It returns a consistent
 *     {@link SourceInfo} or throws a {@link RenderException} with a 4xx status; nothing else.
 * <li>{@code render}: a 32 px JPEG, pixels decoded with {@code fail_on=truncated}, within
 *     small limits (1 MP, 2 s). A variant, or a RenderException 4xx, or 503 for the time limit.
 * </ul>
 *
 * Fuzzing, one target per run: {@code JAZZER_FUZZ=1 mvn -B verify -Dtest='DecodeFuzzTest#inspect'
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code JAZZER_MAX_DURATION=10m} for longer).
 */
class DecodeFuzzTest {
    private static final Renderer RENDERER =
            new Renderer(new RenderLimits(1_000_000L, 512, 1_000_000L, 0, Duration.ofSeconds(2)));

    @FuzzTest(maxDuration = "2m")
    void inspect(byte[] input) {
        SourceInfo info;
        try {
            info = RENDERER.inspect(input);
        } catch (RenderException e) {
            assertThat(e.status()).as(e.getMessage()).isBetween(400, 499);
            assertThat(e.getMessage()).isNotBlank();
            explore(e, 1);
            return;
        }
        Jazzer.exploreState((byte) (info.format().ordinal() << 4 | Math.min(info.pages(), 7) << 1
                | (info.hasAlpha() ? 1 : 0)), 2);
        Optional<ImageFormat> sniffed = ImageFormat.sniff(input);
        assertThat(sniffed).contains(info.format());
        assertThat(info.width()).isPositive();
        assertThat(info.height()).isPositive();
        assertThat(info.pages()).isPositive();
        assertThat(info.bytes()).isEqualTo(input.length);
    }

    @FuzzTest(maxDuration = "2m")
    void render(byte[] input) {
        RenderedImage out;
        try {
            out = RENDERER.render(input, TransformationParser.parse("w_32", Presets.NONE), ImageFormat.JPEG);
        } catch (RenderException e) {
            assertThat(e.status()).as(e.getMessage()).satisfiesAnyOf(
                    s -> assertThat(s).isBetween(400, 499), s -> assertThat(s).isEqualTo(503));
            explore(e, 3);
            return;
        }
        assertThat(out.width()).isBetween(1, 32);
        assertThat(out.height()).isPositive();
        assertThat(ImageFormat.sniff(out.bytes())).contains(ImageFormat.JPEG);
    }

    /** A new way of failing (libvips' words, numbers aside) is a new state for the fuzzer. */
    static void explore(RenderException e, int site) {
        String reason = e.status() + e.getMessage() + e.detail();
        Jazzer.exploreState((byte) reason.replaceAll("[0-9]+", "#").hashCode(), site);
    }
}
