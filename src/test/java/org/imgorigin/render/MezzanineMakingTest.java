package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imgorigin.render.Fixtures.image;
import static org.imgorigin.render.Fixtures.t;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.Test;

/**
 * How a render meets its original's mezzanine ({@link MezzanineSource}): asked only by renders
 * whose plan fits inside one, made by the render that is told to from the decode it does
 * anyway, under that render's own time limit, with any wait bounded by what is left of it.
 * The photo is 1200×675; the edge 800 gives an 800×450 mezzanine.
 */
class MezzanineMakingTest {
    static final int EDGE = 800;
    final byte[] photo = image("photo.jpg");

    /**
     * A source that answers {@code turns} (or lets every render make the mezzanine, when null)
     * and records the waits it was given and what was made.
     */
    static final class Recording implements MezzanineSource {
        final Function<Duration, Turn> turns;
        final List<Duration> waits = new ArrayList<>();
        final List<Optional<Mezzanine>> made = new ArrayList<>();

        Recording(Function<Duration, Turn> turns) {
            this.turns = turns;
        }

        @Override
        public int edge() {
            return EDGE;
        }

        @Override
        public Turn turn(Duration wait) {
            waits.add(wait);
            return turns == null ? make() : turns.apply(wait);
        }

        Turn make() {
            return new Turn.Make(made::add);
        }
    }

    private static RenderedImage render(Renderer renderer, byte[] source, String transformation,
            MezzanineSource mezzanines) throws RenderException {
        return renderer.render(source, t(transformation), ImageFormat.PNG, Map.of(), mezzanines);
    }

    @Test
    void rendersThatNeedMoreThanTheMezzanineHoldsNeverAskForIt() throws Exception {
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        Recording never = new Recording(wait -> {
            throw new AssertionError("asked for a mezzanine it cannot use");
        });
        // Larger than 800 px, a crop at full resolution, the original as it is, a trim.
        for (String transformation : new String[] {"w_1000", "c_crop,w_300,h_200,x_400,y_150", "", "e_trim,w_300"}) {
            RenderedImage rendered = render(renderer, photo, transformation, never);
            assertThat(rendered.fromMezzanine()).as(transformation).isFalse();
        }
        assertThat(never.waits).isEmpty();

        Recording asked = new Recording(wait -> MezzanineSource.Turn.ORIGINAL);
        render(renderer, photo, "w_300", asked);
        render(renderer, photo, "c_crop,w_300,h_200,x_400,y_150,z_0.5", asked);
        assertThat(asked.waits).as("a variant that fits, and a zoomed-out crop").hasSize(2);
    }

    @Test
    void theRenderThatMakesItRendersFromTheSameShrunkImage() throws Exception {
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        Recording making = new Recording(null);
        RenderedImage rendered = render(renderer, photo, "w_300", making);
        assertThat(making.made).hasSize(1);
        Mezzanine made = making.made.getFirst().orElseThrow();
        assertThat(made.width() + "x" + made.height()).isEqualTo("800x450");
        assertThat(rendered.fromMezzanine()).isTrue();

        // Against the same variant loaded from the mezzanine it made, and from the original:
        // the same size, within the bound (PSNR 40 dB).
        RenderedImage fromFile = render(renderer, photo, "w_300",
                new Recording(wait -> new MezzanineSource.Turn.Use(made)));
        RenderedImage direct = render(renderer, photo, "w_300", MezzanineSource.NONE);
        assertThat(fromFile.fromMezzanine()).isTrue();
        assertThat(direct.fromMezzanine()).isFalse();
        for (RenderedImage other : List.of(fromFile, direct)) {
            assertThat(rendered.width() + "x" + rendered.height()).isEqualTo(other.width() + "x" + other.height());
            assertThat(ImageDistance.psnr(Fixtures.decode(rendered.bytes()), Fixtures.decode(other.bytes())))
                    .isGreaterThanOrEqualTo(40);
        }
    }

    @Test
    void makingItIsPartOfTheRenderAndUnderItsTimeLimit() {
        Duration limit = Duration.ofSeconds(2); // long enough to reach the mezzanine on a busy machine
        Renderer renderer = new Renderer(new RenderLimits(50_000_000L, 8192, 40_000_000L, 2, limit));
        // The render has used up its time before it is told to make the mezzanine: the
        // making is stopped with the render (not given a time limit of its own), and the
        // failure is reported so that it is not tried again at once.
        Recording late = new Recording(wait -> null);
        MezzanineSource slow = new MezzanineSource() {
            @Override
            public int edge() {
                return EDGE;
            }

            @Override
            public Turn turn(Duration wait) {
                late.waits.add(wait);
                try {
                    Thread.sleep(limit.toMillis() + 200);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return new Turn.Make(late.made::add);
            }
        };
        assertThatThrownBy(() -> render(renderer, photo, "w_300", slow))
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.status()).isEqualTo(503));
        assertThat(late.made).containsExactly(Optional.empty());
        assertThat(late.waits.getFirst()).as("a wait is bounded by half of what is left of the limit")
                .isPositive().isLessThanOrEqualTo(limit.dividedBy(2));
    }

    /**
     * A render that waits for another's mezzanine and gives up (the other is stuck) still has
     * time to render from the original: it waited half of what it had left, not all of it.
     */
    @Test
    void aRenderThatGivesUpWaitingStillRendersFromTheOriginal() throws Exception {
        Duration limit = Duration.ofSeconds(3);
        Renderer renderer = new Renderer(new RenderLimits(50_000_000L, 8192, 40_000_000L, 2, limit));
        Recording waiting = new Recording(wait -> {
            try {
                Thread.sleep(wait.toMillis()); // the whole wait it was given, then on its own
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return MezzanineSource.Turn.ORIGINAL;
        });
        RenderedImage image = render(renderer, photo, "w_300", waiting);
        assertThat(image.width()).isEqualTo(300);
        assertThat(waiting.waits.getFirst()).isLessThanOrEqualTo(limit.dividedBy(2));
    }

    @Test
    void facesAreLookedForOnTheKeptMezzanine() throws Exception {
        // A mezzanine of a flat grey picture stands for the photo: if the detector is given
        // flat grey, the faces were looked for on the mezzanine, not on the original.
        BufferedImage flat = new BufferedImage(1200, 675, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = flat.createGraphics();
        g.setColor(new java.awt.Color(128, 128, 128));
        g.fillRect(0, 0, 1200, 675);
        g.dispose();
        java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(flat, "jpg", jpeg);
        Mezzanine grey = new Renderer(RenderLimits.DEFAULTS).mezzanine(jpeg.toByteArray(), EDGE).orElseThrow();

        for (boolean kept : new boolean[] {true, false}) {
            RecordingFaceDetector detector = new RecordingFaceDetector();
            MezzanineSource mezzanines = kept ? new MezzanineSource() {
                @Override
                public int edge() {
                    return EDGE;
                }

                @Override
                public Optional<Mezzanine> kept() {
                    return Optional.of(grey);
                }

                @Override
                public Turn turn(Duration wait) {
                    return Turn.ORIGINAL;
                }
            } : MezzanineSource.NONE;
            render(new Renderer(RenderLimits.DEFAULTS, detector), photo, "w_300,h_300,c_fill,g_face", mezzanines);
            List<org.imgorigin.faces.Grey> seen = detector.seen();
            assertThat(seen).hasSize(1);
            byte[] pixels = seen.getFirst().pixels();
            int min = 255;
            int max = 0;
            for (byte p : pixels) {
                min = Math.min(min, p & 0xff);
                max = Math.max(max, p & 0xff);
            }
            assertThat(max - min <= 4).as("flat grey seen, with a mezzanine kept: " + kept).isEqualTo(kept);
        }
    }
    @Test
    void aMezzanineWithPixelsRendersFromThemAndFromItsJpegOnceTheyAreFreed() throws Exception {
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        SourceInfo info = new SourceInfo(ImageFormat.JPEG, 1200, 675, 1, false, photo.length);
        Mezzanine made;
        try (org.imgorigin.vips.VipsScope scope = org.imgorigin.vips.Vips.scope()) {
            made = Mezzanine.make(scope, scope.buffer(photo), info, EDGE).orElseThrow();
            assertThat(made.pixels().orElseThrow().lease()).isTrue(); // kept past the scope, as a holder would
        }
        Mezzanine jpegOnly = made.withoutPixels();
        // w_150: 800 / 150 is over 4, so the pixels go through the box and Lanczos resize.
        for (String transformation : new String[] {"w_300", "w_150"}) {
            byte[] fromPixels = render(renderer, photo, transformation,
                    new Recording(wait -> new MezzanineSource.Turn.Use(made))).bytes();
            byte[] fromJpeg = render(renderer, photo, transformation,
                    new Recording(wait -> new MezzanineSource.Turn.Use(jpegOnly))).bytes();
            assertThat(fromPixels).as("%s: the pixels, not the JPEG decoded again", transformation)
                    .isNotEqualTo(fromJpeg);
            BufferedImage a = Fixtures.decode(fromPixels);
            BufferedImage b = Fixtures.decode(fromJpeg);
            assertThat(a.getWidth() + "x" + a.getHeight()).isEqualTo(b.getWidth() + "x" + b.getHeight());
        }
        made.pixels().orElseThrow().release();
        assertThat(made.pixels().orElseThrow().held()).isFalse();
        assertThat(render(renderer, photo, "w_300", new Recording(wait -> new MezzanineSource.Turn.Use(made))).bytes())
                .as("freed: from the JPEG").isEqualTo(render(renderer, photo, "w_300",
                        new Recording(wait -> new MezzanineSource.Turn.Use(jpegOnly))).bytes());
    }
}
