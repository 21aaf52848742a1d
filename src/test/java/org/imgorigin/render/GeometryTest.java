package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GeometryTest {

    /** Source 1200×600. Columns: transformation, load size, cut (or -), canvas (or -), output size. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                          | 1200x600 | -              | -            | 1200x600
            w_300                       | 300x150  | -              | -            | 300x150
            h_300                       | 600x300  | -              | -            | 600x300
            w_300,h_300                 | 300x300  | -              | -            | 300x300
            w_0.5                       | 600x300  | -              | -            | 600x300
            w_300,dpr_2.0               | 600x300  | -              | -            | 600x300
            c_fit,w_300,h_300           | 300x150  | -              | -            | 300x150
            c_fit,w_2400,h_2400         | 2400x1200| -              | -            | 2400x1200
            c_limit,w_2400,h_2400       | 1200x600 | -              | -            | 1200x600
            c_limit,w_300               | 300x150  | -              | -            | 300x150
            c_fill,w_300,h_300          | 600x300  | 150,0,300x300  | -            | 300x300
            c_fill,w_300,h_300,g_west   | 600x300  | 0,0,300x300    | -            | 300x300
            c_fill,w_300,h_300,g_east   | 600x300  | 300,0,300x300  | -            | 300x300
            c_fill,w_300,h_100,g_south  | 300x150  | 0,50,300x100   | -            | 300x100
            c_fill,w_2400,h_2400        | 1200x600 | 300,0,600x600  | -            | 2400x2400
            c_thumb,w_100,h_100         | 200x100  | 50,0,100x100   | -            | 100x100
            c_lfill,w_2400,h_300        | 1200x600 | 0,150,1200x300 | -            | 1200x300
            c_lfill,w_300,h_300         | 600x300  | 150,0,300x300  | -            | 300x300
            c_pad,w_300,h_300           | 300x150  | -              | 0,75,300x300 | 300x300
            c_pad,w_300,h_300,g_north   | 300x150  | -              | 0,0,300x300  | 300x300
            c_lpad,w_2400,h_2400        | 1200x600 | -              | 600,900,2400x2400 | 2400x2400
            c_crop,w_200,h_100          | 1200x600 | 500,250,200x100| -            | 200x100
            c_crop,w_200,h_100,g_north_west | 1200x600 | 0,0,200x100 | -         | 200x100
            c_crop,w_5000,h_100         | 1200x600 | 0,250,1200x100 | -            | 1200x100
            ar_1:1,c_fill,w_300         | 600x300  | 150,0,300x300  | -            | 300x300
            ar_2.0,h_100                | 200x100  | -              | -            | 200x100
            ar_1:1,c_crop               | 1200x600 | 300,0,600x600  | -            | 600x600
            """)
    void plansEveryMode(String spec, String load, String cut, String canvas, String output) throws Exception {
        Plan plan = Geometry.plan(1200, 600, Fixtures.t(spec), 8192);
        assertThat(plan.loadWidth() + "x" + plan.loadHeight()).isEqualTo(load);
        assertThat(plan.cut().map(c -> c.left() + "," + c.top() + "," + c.width() + "x" + c.height()).orElse("-"))
                .isEqualTo(cut);
        assertThat(plan.canvas().map(c -> c.x() + "," + c.y() + "," + c.width() + "x" + c.height()).orElse("-"))
                .isEqualTo(canvas);
        assertThat(plan.outputWidth() + "x" + plan.outputHeight()).isEqualTo(output);
    }

    @ParameterizedTest
    @CsvSource({"'w_5000,dpr_2.0'", "h_9000", "'c_fill,w_100,h_8193'"})
    void refusesOutputOverTheMaximumAfterDpr(String spec) {
        assertThatThrownBy(() -> Geometry.plan(1200, 600, Fixtures.t(spec), 8192))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("exceeds the maximum of 8192")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
    }

    /** The cap counts the final canvas: after DPR, and padding included (lpad never upscales the photo). */
    @ParameterizedTest
    @CsvSource({"'c_pad,w_8000,h_8000'", "'c_lpad,w_7000,h_7000'", "'c_pad,w_4000,h_4000,dpr_2.0'",
            "'c_scale,w_8192,h_5000'", "'c_fill,w_7000,h_6000'"})
    void refusesAnOutputCanvasOverThePixelLimit(String spec) {
        assertThatThrownBy(() -> Geometry.plan(1200, 600, Fixtures.t(spec), 8192, 40_000_000L))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("exceeds the maximum of 40000000 output pixels (IMGORIGIN_MAX_OUTPUT_PIXELS)")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
    }

    @ParameterizedTest
    @CsvSource({"'c_pad,w_6000,h_6000'", "'w_8192'", "'c_lpad,w_6000,h_6000,dpr_1.0'"})
    void acceptsAnOutputCanvasUnderThePixelLimit(String spec) throws Exception {
        Plan plan = Geometry.plan(1200, 600, Fixtures.t(spec), 8192, 40_000_000L);
        assertThat((long) plan.outputWidth() * plan.outputHeight()).isLessThanOrEqualTo(40_000_000L);
    }

    /** A 49 MP original (under the source limit) stays servable at its own size, not larger. */
    @Test
    void anOutputNoLargerThanItsSourceIsBoundByTheSourceLimitInstead() throws Exception {
        assertThat(Geometry.plan(7000, 7000, Fixtures.t("f_png"), 8192, 40_000_000L).outputWidth()).isEqualTo(7000);
        assertThatThrownBy(() -> Geometry.plan(7000, 7000, Fixtures.t("c_pad,w_7001,h_7000"), 8192, 40_000_000L))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("IMGORIGIN_MAX_OUTPUT_PIXELS");
    }

    @ParameterizedTest
    @CsvSource({"g_auto,true", "g_center,false", "g_face,true", "g_faces,true"})
    void smartCutForContentGravities(String gravity, boolean smart) throws Exception {
        // Without faces found, a face gravity is saliency, as g_auto.
        Plan plan = Geometry.plan(1200, 600, Fixtures.t("c_fill,w_100,h_100," + gravity), 8192);
        assertThat(plan.cut().orElseThrow().smart()).isEqualTo(smart);
    }

    /** A face at (900, 100) to (1000, 200) of a 1200x600 source, as the detector answers it. */
    private static final java.util.Optional<org.imgorigin.faces.Box> FACE =
            java.util.Optional.of(org.imgorigin.faces.Box.ofPixels(900, 100, 100, 100, 1200, 600));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            c_fill,g_face,w_300,h_300        | 600x300  | 300x300 | 300x300 | the face's centre (475, 75) of 600x300: the cut is kept inside
            c_fill,g_face,w_100,h_100        | 200x100  | 100x100 | 100x100 | the face's centre (158, 25) of 200x100: the cut ends at the right edge
            c_crop,g_face,w_300,h_300        | 1200x600 | 300x300 | 300x300 | full scale, centred on (950, 150)
            c_crop,g_face                    | 1200x600 | 100x100 | 100x100 | no size: the face's box
            c_crop,g_face,z_0.5              | 1200x600 | 200x200 | 200x200 | z_0.5: twice the face's box
            c_thumb,g_face,w_100,h_100       | 600x300  | 100x100 | 100x100 | twice the face's box, at the scale that makes it the box
            c_thumb,g_face,w_100,h_100,z_2   | 1200x600 | 100x100 | 100x100 | z_2: the face's box alone
            c_thumb,g_face,w_100,h_100,z_0.1 | 200x100  | 100x100 | 100x100 | zoomed far out: no more than the fill shows
            """)
    void faceCrops(String spec, String load, String cutSize, String out, String why) throws Exception {
        Plan plan = Geometry.plan(1200, 600, Fixtures.t(spec), 1.0, FACE, 8192, 40_000_000L);
        assertThat(plan.loadWidth() + "x" + plan.loadHeight()).as(why).isEqualTo(load);
        Plan.Cut cut = plan.cut().orElseThrow();
        assertThat(cut.smart()).isFalse();
        assertThat(cut.width() + "x" + cut.height()).as(why).isEqualTo(cutSize);
        assertThat(plan.outputWidth() + "x" + plan.outputHeight()).as(why).isEqualTo(out);
        // The face lies inside the cut, in the loaded image's pixels.
        double sx = (double) plan.loadWidth() / 1200;
        double sy = (double) plan.loadHeight() / 600;
        assertThat(cut.left()).as(why).isLessThanOrEqualTo((int) Math.floor(900 * sx));
        assertThat(cut.top()).as(why).isLessThanOrEqualTo((int) Math.floor(100 * sy));
        assertThat(cut.left() + cut.width()).as(why).isGreaterThanOrEqualTo((int) Math.ceil(1000 * sx));
        assertThat(cut.top() + cut.height()).as(why).isGreaterThanOrEqualTo((int) Math.ceil(200 * sy));
    }
}
