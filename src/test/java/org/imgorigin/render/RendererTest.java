package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imgorigin.render.Fixtures.decode;
import static org.imgorigin.render.Fixtures.image;
import static org.imgorigin.render.Fixtures.t;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class RendererTest {
    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
    private final byte[] photo = image("photo.jpg"); // 1200×675 JPEG
    private final byte[] alpha = image("alpha.png"); // 480×269 PNG, transparent corners

    @ParameterizedTest
    @EnumSource(value = ImageFormat.class, names = {"JPEG", "PNG", "WEBP", "AVIF", "GIF"})
    void encodesEveryOutputFormatWithItsMagicBytes(ImageFormat format) throws Exception {
        RenderedImage out = renderer.render(photo, t("w_300"), format);
        assertThat(out.width()).isEqualTo(300);
        assertThat(out.height()).isEqualTo(169);
        assertThat(out.format()).isEqualTo(format);
        assertThat(ImageFormat.sniff(Arrays.copyOf(out.bytes(), 16))).contains(format);
        // Decoding the result again gives the same dimensions.
        SourceInfo info = renderer.inspect(out.bytes());
        assertThat(info.width()).isEqualTo(300);
        assertThat(info.height()).isEqualTo(169);
    }

    /**
     * JPEG XL is written but not read by imgorigin (its libvips loader stays blocked), so the
     * output is checked by its signature and by libvips' own command line, {@code vipsheader},
     * which runs outside the server's loader policy.
     */
    @Test
    void encodesJpegXlThatLibvipsReadsBack() throws Exception {
        RenderedImage out = renderer.render(photo, t("w_300"), ImageFormat.JXL);
        assertThat(out.width()).isEqualTo(300);
        assertThat(out.height()).isEqualTo(169);
        assertThat(out.format()).isEqualTo(ImageFormat.JXL);
        assertThat(out.bytes()[0] & 0xFF).isEqualTo(0xFF); // a bare codestream: FF 0A
        assertThat(out.bytes()[1] & 0xFF).isEqualTo(0x0A);
        assertThat(ImageFormat.isJpegXl(out.bytes())).isTrue();
        assertThat(Fixtures.vipsheader(out.bytes(), "width", "height", "bands")).containsExactly("300", "169", "3");
        // Alpha is kept, as for AVIF and WebP.
        RenderedImage transparent = renderer.render(alpha, t("w_200"), ImageFormat.JXL);
        assertThat(Fixtures.vipsheader(transparent.bytes(), "width", "bands")).containsExactly("200", "4");
        // The server itself does not read it: an original in JPEG XL is refused by name.
        assertThatThrownBy(() -> renderer.render(out.bytes(), t("w_100"), ImageFormat.JPEG))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("JPEG XL")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(415);
    }

    @Test
    void jpegXlQualityLevelsOrderTheSizes() throws Exception {
        int best = renderer.render(photo, t("w_600,q_auto:best"), ImageFormat.JXL).bytes().length;
        int good = renderer.render(photo, t("w_600,q_auto"), ImageFormat.JXL).bytes().length;
        int low = renderer.render(photo, t("w_600,q_auto:low"), ImageFormat.JXL).bytes().length;
        assertThat(best).isGreaterThan(good);
        assertThat(good).isGreaterThan(low);
        assertThat(renderer.render(photo, t("w_600,q_75"), ImageFormat.JXL).bytes()).hasSize(good);
    }

    @ParameterizedTest
    @CsvSource({"photo.jpg", "alpha.png", "small.webp", "small.gif", "salient-right.png"})
    void readsEveryInputFormat(String fixture) throws Exception {
        RenderedImage out = renderer.render(image(fixture), t("w_100"), ImageFormat.JPEG);
        assertThat(decode(out.bytes()).getWidth()).isEqualTo(100);
    }

    @Test
    void fillGivesExactDimensions() throws Exception {
        for (String spec : new String[] {"c_fill,w_333,h_111", "c_fill,w_111,h_333", "c_fill,w_2000,h_50",
                "c_fill,w_123,h_457,g_south_east", "c_thumb,w_64,h_64", "c_fill,w_97,h_89,g_auto"}) {
            String[] parts = spec.split(",");
            int w = Integer.parseInt(Arrays.stream(parts).filter(p -> p.startsWith("w_")).findFirst().orElseThrow().substring(2));
            int h = Integer.parseInt(Arrays.stream(parts).filter(p -> p.startsWith("h_")).findFirst().orElseThrow().substring(2));
            BufferedImage out = decode(renderer.render(photo, t(spec), ImageFormat.PNG).bytes());
            assertThat(out.getWidth()).as(spec).isEqualTo(w);
            assertThat(out.getHeight()).as(spec).isEqualTo(h);
        }
    }

    @Test
    void limitNeverUpscales() throws Exception {
        RenderedImage big = renderer.render(photo, t("c_limit,w_4000,h_4000"), ImageFormat.JPEG);
        assertThat(big.width()).isEqualTo(1200);
        assertThat(big.height()).isEqualTo(675);
        RenderedImage small = renderer.render(photo, t("c_limit,w_600"), ImageFormat.JPEG);
        assertThat(small.width()).isEqualTo(600);
        // c_fit, by contrast, may upscale.
        assertThat(renderer.render(photo, t("c_fit,w_2400,h_2400"), ImageFormat.JPEG).width()).isEqualTo(2400);
    }

    @Test
    void alphaIsFlattenedOntoTheBackgroundForJpeg() throws Exception {
        BufferedImage red = decode(renderer.render(alpha, t("b_rgb:ff0000"), ImageFormat.JPEG).bytes());
        int corner = red.getRGB(0, 0);
        assertThat((corner >> 16) & 0xFF).isGreaterThan(240);
        assertThat((corner >> 8) & 0xFF).isLessThan(15);
        assertThat(corner & 0xFF).isLessThan(15);
        BufferedImage white = decode(renderer.render(alpha, t(""), ImageFormat.JPEG).bytes());
        assertThat(white.getRGB(0, 0) & 0xFFFFFF).isGreaterThan(0xF0F0F0);
        // PNG keeps its transparency when no background is asked for.
        BufferedImage png = decode(renderer.render(alpha, t("w_200"), ImageFormat.PNG).bytes());
        assertThat(png.getColorModel().hasAlpha()).isTrue();
        assertThat(png.getRGB(0, 0) >>> 24).isZero();
    }

    @Test
    void padFillsTheCanvasWithTheBackground() throws Exception {
        BufferedImage out = decode(renderer.render(photo, t("c_pad,w_300,h_300,b_rgb:0000ff"), ImageFormat.PNG).bytes());
        assertThat(out.getWidth()).isEqualTo(300);
        assertThat(out.getHeight()).isEqualTo(300);
        assertThat(out.getRGB(150, 5) & 0xFFFFFF).isEqualTo(0x0000FF);
        assertThat(out.getRGB(150, 150) & 0xFFFFFF).isNotEqualTo(0x0000FF);
    }

    @Test
    void exifOrientationIsAppliedUnlessIgnored() throws Exception {
        byte[] rotated = Fixtures.withExifOrientation(photo, 6);
        SourceInfo info = renderer.inspect(rotated);
        assertThat(info.width()).isEqualTo(675);
        assertThat(info.height()).isEqualTo(1200);

        RenderedImage upright = renderer.render(rotated, t("w_300"), ImageFormat.JPEG);
        assertThat(upright.width()).isEqualTo(300);
        assertThat(upright.height()).isEqualTo(533);
        // Orientation 6 displays as the stored pixels turned 90° clockwise.
        BufferedImage expected = decode(renderer.render(photo, t("h_300,a_90"), ImageFormat.JPEG).bytes());
        assertThat(Fixtures.meanDifference(decode(upright.bytes()), expected)).isLessThan(6.0);

        RenderedImage ignored = renderer.render(rotated, t("w_300,a_ignore"), ImageFormat.JPEG);
        assertThat(ignored.width()).isEqualTo(300);
        assertThat(ignored.height()).isEqualTo(169);
        // And the output carries no orientation tag that would rotate it a second time.
        assertThat(renderer.inspect(upright.bytes()).width()).isEqualTo(300);
    }

    @Test
    void autoGravityPicksTheSalientRegion() throws Exception {
        byte[] source = image("salient-right.png"); // flat grey, a photo patch in its right third
        BufferedImage auto = decode(renderer.render(source, t("c_fill,w_200,h_200,g_auto"), ImageFormat.PNG).bytes());
        BufferedImage west = decode(renderer.render(source, t("c_fill,w_200,h_200,g_west"), ImageFormat.PNG).bytes());
        assertThat(Fixtures.luminanceSpread(west)).isLessThan(1.0);
        assertThat(Fixtures.luminanceSpread(auto)).isGreaterThan(10.0);
    }

    @Test
    void rotationAndFlipsAfterResize() throws Exception {
        RenderedImage r90 = renderer.render(photo, t("w_300,a_90"), ImageFormat.PNG);
        assertThat(r90.width()).isEqualTo(169);
        assertThat(r90.height()).isEqualTo(300);
        BufferedImage plain = decode(renderer.render(photo, t("w_300"), ImageFormat.PNG).bytes());
        BufferedImage flipped = decode(renderer.render(photo, t("w_300,a_hflip"), ImageFormat.PNG).bytes());
        assertThat(flipped.getRGB(0, 10)).isEqualTo(plain.getRGB(299, 10));
    }

    @Test
    void effectsChangeThePixels() throws Exception {
        BufferedImage plain = decode(renderer.render(photo, t("w_300"), ImageFormat.PNG).bytes());
        BufferedImage blurred = decode(renderer.render(photo, t("w_300,e_blur:400"), ImageFormat.PNG).bytes());
        BufferedImage grey = decode(renderer.render(photo, t("w_300,e_grayscale"), ImageFormat.PNG).bytes());
        assertThat(Fixtures.luminanceSpread(blurred)).isLessThan(Fixtures.luminanceSpread(plain));
        int p = grey.getRGB(150, 80);
        assertThat((p >> 16) & 0xFF).isEqualTo((p >> 8) & 0xFF).isEqualTo(p & 0xFF);
        BufferedImage sharp = decode(renderer.render(photo, t("w_300,e_sharpen:300"), ImageFormat.PNG).bytes());
        assertThat(Fixtures.meanDifference(sharp, plain)).isGreaterThan(0.5);
    }

    @Test
    void qualityChangesTheSize() throws Exception {
        int low = renderer.render(photo, t("w_600,q_30"), ImageFormat.WEBP).bytes().length;
        int high = renderer.render(photo, t("w_600,q_95"), ImageFormat.WEBP).bytes().length;
        assertThat(low).isLessThan(high / 2);
    }

    @Test
    void neverHeavierThanTheOriginalWhenTheOriginalIsWhatWasAskedFor() throws Exception {
        byte[] webp = image("small.webp"); // 300×169, q80, no metadata
        RenderedImage same = renderer.render(webp, t("q_100"), ImageFormat.WEBP);
        assertThat(same.original()).isTrue();
        assertThat(same.bytes()).isEqualTo(webp);
        assertThat(same.renderedBytes()).isGreaterThan(webp.length);
        // c_limit above the source size also leaves the original as the answer.
        assertThat(renderer.render(webp, t("c_limit,w_600,q_100"), ImageFormat.WEBP).original()).isTrue();
        // Not when the pixels or the format differ, or when a smaller render is lighter anyway.
        assertThat(renderer.render(webp, t("q_100,e_grayscale"), ImageFormat.WEBP).original()).isFalse();
        assertThat(renderer.render(webp, t("q_100,a_hflip"), ImageFormat.WEBP).original()).isFalse();
        assertThat(renderer.render(webp, t("q_100"), ImageFormat.PNG).original()).isFalse();
        assertThat(renderer.render(webp, t("w_100,q_100"), ImageFormat.WEBP).original()).isFalse();
        // An original carrying metadata still answers, without it (Strip), when its orientation is 1.
        byte[] withExif = Fixtures.withExifOrientation(photo, 1);
        RenderedImage stripped = renderer.render(withExif, t("q_100"), ImageFormat.JPEG);
        assertThat(stripped.original()).isTrue();
        assertThat(stripped.bytes()).isEqualTo(photo);
        assertThat(new String(stripped.bytes(), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("Exif");
        // Not when a viewer would have to apply an orientation the EXIF says.
        assertThat(renderer.render(Fixtures.withExifOrientation(photo, 6), t("q_100"), ImageFormat.JPEG).original())
                .isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = ImageFormat.class, names = {"JPEG", "PNG", "WEBP", "AVIF", "GIF", "JXL"})
    void metadataIsStrippedFromEveryFormat(ImageFormat format) throws Exception {
        byte[] out = renderer.render(Fixtures.withExifOrientation(photo, 6), t("w_100"), format).bytes();
        String text = new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("Exif").doesNotContain("EXIF").doesNotContain("xmpmeta");
    }

    @Test
    void rejectsWhatIsNoImage() {
        assertThatThrownBy(() -> renderer.render("<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(), t("w_10"),
                ImageFormat.PNG)).isInstanceOf(RenderException.class)
                .extracting(e -> ((RenderException) e).status()).isEqualTo(415);
    }

    @Test
    void truncatedImageIsUnprocessable() {
        byte[] truncated = Arrays.copyOf(photo, 600);
        assertThatThrownBy(() -> renderer.render(truncated, t("w_10"), ImageFormat.PNG))
                .isInstanceOf(RenderException.class)
                .satisfies(e -> {
                    RenderException re = (RenderException) e;
                    assertThat(re.status()).isEqualTo(422);
                    assertThat(re.getMessage()).doesNotContain("/").doesNotContain("VipsForeign");
                });
    }

    @Test
    void truncatedPixelDataIsUnprocessableNotGrey() {
        byte[] truncated = Arrays.copyOf(photo, photo.length / 2); // header intact, scan data cut
        assertThatThrownBy(() -> renderer.render(truncated, t("w_100"), ImageFormat.WEBP))
                .isInstanceOf(RenderException.class)
                .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
    }

    @Test
    void refusesSourcesOverThePixelLimitFromTheHeader() {
        Renderer strict = new Renderer(new RenderLimits(500_000, 8192, 40_000_000, 2, java.time.Duration.ofSeconds(30)));
        assertThatThrownBy(() -> strict.render(photo, t("w_10"), ImageFormat.JPEG))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("over the limit")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
    }

    /**
     * A costly request (a small photo scaled to 6000 px and blurred at the strongest setting)
     * takes many seconds unchecked; with a 1 s limit it is stopped within a few tile rows
     * and refused with 503, its native memory released, and the renderer keeps working.
     */
    @Test
    void aRenderOverTheTimeLimitIsStoppedWith503() throws Exception {
        Renderer limited = new Renderer(new RenderLimits(50_000_000, 8192, 40_000_000, 2, java.time.Duration.ofSeconds(1)));
        long start = System.nanoTime();
        assertThatThrownBy(() -> limited.render(photo, t("c_scale,w_6000,h_6000,e_blur:2000"), ImageFormat.JPEG))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("longer than the limit of 1 s")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(503);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("stopped soon after the limit, not at the end of the render").isLessThan(10_000);
        assertThat(org.imgorigin.vips.Vips.trackedMemory()).as("libvips' pixel buffers released").isZero();
        assertThat(org.imgorigin.vips.Vips.trackedFiles()).as("libvips' temporary files closed").isZero();
        assertThat(limited.render(photo, t("w_100"), ImageFormat.WEBP).width()).isEqualTo(100);
    }
}
