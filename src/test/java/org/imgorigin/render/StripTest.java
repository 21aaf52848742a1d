package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Strip} on real photos with metadata written into them ({@link Injected}): every
 * injected marker is gone, the result decodes to the same dimensions and the same pixels,
 * and where stripping would change the pixels (a colour profile, Adobe's transform,
 * animation) or the format is not taken apart, it declines.
 */
class StripTest {
    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS);

    static Stream<Arguments> injected() {
        return Stream.of(
                Arguments.of("JPEG: JFIF thumbnail, COM, APP1 XMP, APP13 IPTC, after EOI", ImageFormat.JPEG,
                        Injected.fixture("photo.jpg"), (Supplier<byte[]>) Injected::jpeg),
                Arguments.of("PNG (RGBA): tEXt, zTXt, iTXt, tIME, eXIf, after IEND", ImageFormat.PNG,
                        Injected.fixture("alpha.png"), (Supplier<byte[]>) () -> Injected.png("alpha.png")),
                Arguments.of("PNG (RGB): the same", ImageFormat.PNG, Injected.fixture("salient-right.png"),
                        (Supplier<byte[]>) () -> Injected.png("salient-right.png")),
                Arguments.of("GIF: comment, XMP application, plain text, after the trailer", ImageFormat.GIF,
                        Injected.fixture("small.gif"), (Supplier<byte[]>) Injected::gif),
                Arguments.of("WebP: EXIF, XMP, unknown chunk, after the RIFF", ImageFormat.WEBP,
                        Injected.fixture("small.webp"), (Supplier<byte[]>) Injected::webp));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("injected")
    void takesOutEveryInjectedPartAndKeepsThePixels(String name, ImageFormat format, byte[] clean,
            Supplier<byte[]> dirty) throws Exception {
        byte[] injected = dirty.get();
        for (String marker : Injected.MARKERS) {
            assertThat(latin1(injected)).as("the input carries " + marker).contains(marker);
        }
        byte[] stripped = Strip.original(format, injected).orElseThrow();
        for (String marker : Injected.MARKERS) {
            assertThat(latin1(stripped)).as(name + " without " + marker).doesNotContain(marker);
        }
        SourceInfo before = renderer.inspect(clean);
        SourceInfo after = renderer.inspect(stripped);
        assertThat(after.width()).isEqualTo(before.width());
        assertThat(after.height()).isEqualTo(before.height());
        assertThat(after.hasAlpha()).isEqualTo(before.hasAlpha());
        assertThat(samePixels(clean, stripped, before.width())).as("pixels unchanged").isTrue();
        assertThat(Strip.original(format, stripped)).as("stripping is idempotent").hasValue(stripped);
    }

    static Stream<Arguments> oneEach() {
        return Injected.oneEach().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    /** Each kind of part alone: gone, and the pixels as before. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("oneEach")
    void takesOutEachKindOfPart(String name, byte[] injected) throws Exception {
        ImageFormat format = ImageFormat.sniff(injected).orElseThrow();
        assertThat(Arrays.stream(Injected.MARKERS).anyMatch(latin1(injected)::contains)).as("a marker in " + name)
                .isTrue();
        byte[] stripped = Strip.original(format, injected).orElseThrow();
        for (String marker : Injected.MARKERS) {
            assertThat(latin1(stripped)).as(name + " without " + marker).doesNotContain(marker);
        }
        SourceInfo before = renderer.inspect(injected);
        SourceInfo after = renderer.inspect(stripped);
        assertThat(after.width() + "x" + after.height()).isEqualTo(before.width() + "x" + before.height());
        assertThat(samePixels(injected, stripped, before.width())).as("pixels unchanged").isTrue();
    }

    @Test
    void aJpegWithOnlyDroppableSegmentsComesBackAsTheCleanFile() {
        assertThat(Strip.original(ImageFormat.JPEG, Injected.jpeg()).orElseThrow())
                .isNotEqualTo(Injected.fixture("photo.jpg")) // the JFIF APP0 is kept, without its thumbnail
                .hasSize(Injected.fixture("photo.jpg").length + 18);
    }

    static Stream<Arguments> declined() {
        return Stream.of(
                Arguments.of("JPEG with an ICC profile", ImageFormat.JPEG, Injected.jpegWithIcc()),
                Arguments.of("JPEG with Adobe APP14", ImageFormat.JPEG, Injected.jpegWithAdobe()),
                Arguments.of("PNG with iCCP", ImageFormat.PNG, Injected.pngWithIcc("alpha.png")),
                Arguments.of("PNG with a non-sRGB gAMA", ImageFormat.PNG, Injected.pngWithGamma("alpha.png")),
                Arguments.of("WebP with ICCP", ImageFormat.WEBP, Injected.webpWithIcc()),
                Arguments.of("animated WebP", ImageFormat.WEBP, Injected.webpAnimated()),
                Arguments.of("AVIF", ImageFormat.AVIF, Injected.fixture("photo.jpg")),
                Arguments.of("TIFF", ImageFormat.TIFF, Injected.fixture("photo.jpg")),
                Arguments.of("JPEG cut short", ImageFormat.JPEG, Arrays.copyOf(Injected.jpeg(), 3000)),
                Arguments.of("PNG cut short", ImageFormat.PNG, Arrays.copyOf(Injected.png("alpha.png"), 3000)),
                Arguments.of("GIF cut short", ImageFormat.GIF, Arrays.copyOf(Injected.gif(), 3000)),
                Arguments.of("WebP cut short", ImageFormat.WEBP, Arrays.copyOf(Injected.webp(), 3000)),
                Arguments.of("PNG signature only", ImageFormat.PNG, Arrays.copyOf(Injected.fixture("alpha.png"), 8)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("declined")
    void declinesWhereThePixelsWouldChangeOrTheLayoutIsUnknown(String name, ImageFormat format, byte[] bytes) {
        assertThat(Strip.original(format, bytes)).as(name).isEqualTo(Optional.empty());
    }

    @Test
    void theWebpEncodersOutputLosesItsProfileAndExif() {
        byte[] out = Strip.webpOutput(Injected.webpWithIcc());
        assertThat(latin1(out)).doesNotContain("ICCP").doesNotContain(Injected.AUTHOR);
        assertThat(out[20] & 0x20).as("VP8X ICC flag").isZero();
    }

    /** The same pixels: both decoded and written by the same pipeline to a format neither is in. */
    private boolean samePixels(byte[] a, byte[] b, int width) throws Exception {
        ImageFormat format = renderer.inspect(a).format();
        ImageFormat via = format == ImageFormat.PNG ? ImageFormat.JPEG : ImageFormat.PNG;
        var t = Fixtures.t("w_" + width + ",q_100");
        return Arrays.equals(renderer.render(a, t, via).bytes(), renderer.render(b, t, via).bytes());
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
