package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imgorigin.render.Fixtures.image;

import java.time.Duration;
import java.util.List;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Animated originals stay animated: every frame, each frame's delay and the loop count survive
 * every transformation, checked with libvips' own reader of the output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnimationTest {
    private static final int[] DELAYS_CS = {10, 20, 30, 40, 50};
    /** The GIF's NETSCAPE repeat count; libvips reads it as plays, one more. */
    private static final int REPEATS = 3;
    private static final int LOOP = REPEATS + 1;

    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
    private byte[] gif;

    @BeforeAll
    void makeAnimation() throws Exception {
        gif = Animations.slidingGif(image("photo.jpg"), 320, 240, DELAYS_CS, REPEATS);
        Animations.Read read = Animations.read(gif);
        assertThat(read.frames()).isEqualTo(5);
        assertThat(read.delays()).containsExactly(100, 200, 300, 400, 500);
        assertThat(read.loop()).isEqualTo(LOOP);
    }

    private static Transformation chain(String stages) {
        return TransformationParser.parseStages(List.of(stages.split("/")), Presets.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"w_160", "c_fill,w_100,h_100", "c_fill,w_100,h_100,g_auto", "c_pad,w_200,h_100,b_black",
        "c_crop,w_100,h_80,x_10,y_20", "w_200,a_90", "w_120,e_sepia,r_20", "c_fill,w_90,h_90/e_blur:200/bo_3px_solid_red",
        "e_trim/w_100", "c_thumb,w_64,h_64,z_1.5"})
    void everyFrameDelayAndTheLoopSurvive(String stages) throws Exception {
        for (ImageFormat output : new ImageFormat[] {ImageFormat.GIF, ImageFormat.WEBP}) {
            RenderedImage out = renderer.render(gif, chain(stages), output);
            Animations.Read read = Animations.read(out.bytes());
            assertThat(read.frames()).as(stages + " " + output).isEqualTo(5);
            assertThat(read.delays()).as(stages + " " + output).containsExactly(100, 200, 300, 400, 500);
            assertThat(read.loop()).as(stages + " " + output).isEqualTo(LOOP);
            assertThat(read.width()).as(stages).isEqualTo(out.width());
            assertThat(read.frameHeight()).as(stages).isEqualTo(out.height());
        }
    }

    @Test
    void framesKeepTheirSizeAndDiffer() throws Exception {
        RenderedImage out = renderer.render(gif, chain("c_fill,w_100,h_100"), ImageFormat.WEBP);
        assertThat(out.width()).isEqualTo(100);
        assertThat(out.height()).isEqualTo(100);
        // The frames are a window sliding across the photo: the first and last differ.
        RenderedImage firstFrame = renderer.render(gif, chain("c_fill,w_100,h_100,pg_1"), ImageFormat.PNG);
        RenderedImage lastFrame = renderer.render(gif, chain("c_fill,w_100,h_100,pg_5"), ImageFormat.PNG);
        assertThat(Fixtures.meanDifference(Fixtures.decode(firstFrame.bytes()), Fixtures.decode(lastFrame.bytes())))
                .isGreaterThan(5.0);
    }

    @Test
    void stillFormatsAndPagesGiveOneFrame() throws Exception {
        for (ImageFormat output : new ImageFormat[] {ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.AVIF}) {
            RenderedImage out = renderer.render(gif, chain("w_160"), output);
            assertThat(Animations.read(out.bytes()).frames()).as(output.name()).isEqualTo(1);
            assertThat(out.height()).isEqualTo(120);
        }
        assertThat(Animations.read(renderer.render(gif, chain("w_160,pg_3"), ImageFormat.GIF).bytes()).frames())
                .isEqualTo(1);
    }

    /** Bad animations: a clear 4xx or a correct render, never a 5xx or a stalled render. */
    @Test
    void truncatedAnimationsAreRefusedQuickly() throws Exception {
        // libvips would render a frame cut short with blank rows, and only log it.
        for (int percent = 10; percent < 100; percent += 15) {
            byte[] cut = java.util.Arrays.copyOf(gif, gif.length * percent / 100);
            long start = System.nanoTime();
            assertThatThrownBy(() -> renderer.render(cut, chain("w_100"), ImageFormat.WEBP)).as(percent + "%")
                    .isInstanceOf(RenderException.class)
                    .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
            assertThatThrownBy(() -> renderer.inspect(cut)).as("at upload, " + percent + "%")
                    .isInstanceOf(RenderException.class);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
        }
        // Without its trailer byte only, a GIF is whole: some encoders leave it out.
        byte[] noTrailer = java.util.Arrays.copyOf(gif, gif.length - 1);
        assertThat(Animations.read(renderer.render(noTrailer, chain("w_100"), ImageFormat.WEBP).bytes()).frames())
                .isEqualTo(5);
    }

    @Test
    void absurdDelaysAreKeptAsTheyAre() throws Exception {
        byte[] odd = Animations.slidingGif(image("photo.jpg"), 64, 48, new int[] {0, 65535, 1}, 0);
        Animations.Read source = Animations.read(odd);
        Animations.Read gifOut = Animations.read(renderer.render(odd, chain("w_32"), ImageFormat.GIF).bytes());
        assertThat(gifOut.frames()).isEqualTo(3);
        assertThat(gifOut.delays()).containsExactly(source.delays());
        // libvips' WebP writer shows delays of 10 ms or less as 100 ms, as browsers play them in a GIF.
        Animations.Read webpOut = Animations.read(renderer.render(odd, chain("w_32"), ImageFormat.WEBP).bytes());
        assertThat(webpOut.delays()).containsExactly(100, 655_350, 100);
    }

    @Test
    void framesSmallerThanTheCanvasAreComposedOntoIt() throws Exception {
        byte[] mixed = Animations.mixedSizeGif(image("photo.jpg"));
        Animations.Read read = Animations.read(renderer.render(mixed, chain("w_100"), ImageFormat.WEBP).bytes());
        assertThat(read.frames()).isEqualTo(2);
        assertThat(read.width()).isEqualTo(100);
        assertThat(read.frameHeight()).isEqualTo(75);
    }

    /**
     * Never heavier: the same animation at its own size, as GIF, is the original (stripped of
     * comments and other extensions) when re-encoding it would weigh more.
     */
    @Test
    void anAnimationAskedForAsItIsIsNeverHeavier() throws Exception {
        RenderedImage same = renderer.render(gif, chain("f_gif"), ImageFormat.GIF);
        assertThat(same.bytes().length).isLessThanOrEqualTo(gif.length);
        Animations.Read read = Animations.read(same.bytes());
        assertThat(read.frames()).isEqualTo(5);
        assertThat(read.delays()).containsExactly(100, 200, 300, 400, 500);
        assertThat(read.loop()).isEqualTo(LOOP);
    }

    @Test
    void theFramesCountTowardsThePixelLimits() {
        // 5 frames of 320×240 are 384,000 pixels: over a source limit of 300,000, under it each.
        Renderer strict = new Renderer(new RenderLimits(300_000, 8192, 40_000_000, 2, Duration.ofSeconds(10)));
        assertThatThrownBy(() -> strict.render(gif, chain("w_100"), ImageFormat.GIF))
                .isInstanceOf(RenderException.class).hasMessageContaining("in 5 frames")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
        // The output limit counts every frame too: 5 × 3000×3000 is 45 MP.
        assertThatThrownBy(() -> renderer.render(gif, chain("c_pad,w_3000,h_3000"), ImageFormat.WEBP))
                .isInstanceOf(RenderException.class).hasMessageContaining("in 5 frames")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
        Renderer fewFrames = new Renderer(new RenderLimits(50_000_000, 8192, 40_000_000, 2, Duration.ofSeconds(10), 4));
        assertThatThrownBy(() -> fewFrames.render(gif, chain("w_100"), ImageFormat.GIF))
                .isInstanceOf(RenderException.class).hasMessageContaining("IMGORIGIN_MAX_FRAMES")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
    }
}
