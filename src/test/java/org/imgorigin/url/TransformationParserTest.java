package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imgorigin.url.TransformationFixture.none;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.OptionalInt;
import java.util.stream.Stream;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation.Angle;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Quality;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TransformationParserTest {
    static final Presets PRESETS = Presets.parse("thumb=c_fill,w_150,h_150;hero=w_1600,q_auto");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            w_300                       | w_300
            w_0300                      | w_300
            w_1                         | w_1
            w_2147483647                | w_2147483647
            w_0.5                       | w_0.5
            w_0.50                      | w_0.5
            w_00.5                      | w_0.5
            w_1.0                       | w_1.0
            w_1.000                     | w_1.0
            w_0.125                     | w_0.125
            w_0.00001                   | w_0.00001
            w_auto                      | w_auto
            w_auto:400                  | w_auto:400
            w_auto:0400                 | w_auto:400
            h_200                       | h_200
            h_0.25                      | h_0.25
            c_scale                     | ''
            c_fit                       | c_fit
            c_limit                     | c_limit
            c_fill                      | c_fill
            c_lfill                     | c_lfill
            c_pad                       | c_pad
            c_lpad                      | c_lpad
            c_crop                      | c_crop
            c_thumb                     | c_thumb
            g_center                    | ''
            g_auto:subject              | g_auto
            g_auto:classic              | g_auto
            g_face                      | g_face
            g_faces                     | g_faces
            c_thumb,g_face,w_150,h_150,z_0.8 | c_thumb,g_face,h_150,w_150,z_0.8
            c_crop,g_faces,z_2          | c_crop,g_faces,z_2.0
            c_crop,w_10,x_5,y_0         | c_crop,w_10,x_5,y_0
            c_crop,x_0.50,y_00          | c_crop,x_0.5,y_0
            c_crop,x_0.0,y_0.00         | c_crop,x_0,y_0
            c_crop,z_2                  | c_crop,z_2.0
            c_crop,z_1.0                | c_crop
            c_thumb,w_9,h_9,z_1.5       | c_thumb,h_9,w_9,z_1.5
            r_max                       | r_max
            r_020                       | r_20
            bo_4px_solid_black          | bo_4px_solid_rgb:000000
            bo_1px_solid_rgb:FF0000     | bo_1px_solid_rgb:ff0000
            o_50                        | o_50
            o_0                         | o_0
            o_100                       | ''
            pg_2                        | pg_2
            co_red                      | ''
            co_rgb:00ff00,e_negate      | e_negate
            e_brightness                | e_brightness
            e_brightness:80             | e_brightness
            e_brightness:-20            | e_brightness:-20
            e_brightness:0              | ''
            e_contrast                  | ''
            e_contrast:30               | e_contrast:30
            e_saturation:-100           | e_saturation:-100
            e_sepia:80                  | e_sepia
            e_sepia:50                  | e_sepia:50
            e_pixelate                  | e_pixelate
            e_pixelate:12               | e_pixelate:12
            e_trim                      | e_trim
            e_trim:10                   | e_trim
            e_trim:0                    | e_trim:0
            e_trim::                    | e_trim
            e_trim:20:                  | e_trim:20
            e_negate,e_blur,e_sepia     | e_blur,e_negate,e_sepia
            d_0123456789abcdef          | d_0123456789abcdef
            d_0123456789abcdef.png      | d_0123456789abcdef
            g_north                     | g_north
            g_north_east                | g_north_east
            g_east                      | g_east
            g_south_east                | g_south_east
            g_south                     | g_south
            g_south_west                | g_south_west
            g_west                      | g_west
            g_north_west                | g_north_west
            g_auto                      | g_auto
            ar_16:9                     | ar_16:9
            ar_016:09                   | ar_16:9
            ar_1.50:1                   | ar_1.5:1
            ar_1.5                      | ar_1.5
            ar_1.500                    | ar_1.5
            ar_2                        | ar_2.0
            ar_0.75                     | ar_0.75
            q_1                         | q_1
            q_80                        | q_80
            q_100                       | q_100
            q_auto                      | q_auto
            q_auto:good                 | q_auto
            q_auto:best                 | q_auto:best
            q_auto:eco                  | q_auto:eco
            q_auto:low                  | q_auto:low
            f_jpg                       | f_jpg
            f_jpeg                      | f_jpg
            f_png                       | f_png
            f_webp                      | f_webp
            f_avif                      | f_avif
            f_gif                       | f_gif
            f_auto                      | f_auto
            dpr_2                       | dpr_2.0
            dpr_2.0                     | dpr_2.0
            dpr_2.00                    | dpr_2.0
            dpr_1.5                     | dpr_1.5
            dpr_4                       | dpr_4.0
            dpr_1                       | ''
            dpr_1.0                     | ''
            dpr_auto                    | dpr_auto
            e_blur                      | e_blur
            e_blur:100                  | e_blur
            e_blur:1                    | e_blur:1
            e_blur:2000                 | e_blur:2000
            e_sharpen                   | e_sharpen
            e_sharpen:0050              | e_sharpen:50
            e_grayscale                 | e_grayscale
            a_90                        | a_90
            a_180                       | a_180
            a_270                       | a_270
            a_hflip                     | a_hflip
            a_vflip                     | a_vflip
            a_ignore                    | a_ignore
            b_rgb:FFFFFF                | b_rgb:ffffff
            b_rgb:00aAfF                | b_rgb:00aaff
            b_rgb:000000                | b_rgb:000000
            b_black                     | b_rgb:000000
            b_Black                     | b_rgb:000000
            b_WHITE                     | b_rgb:ffffff
            b_rebeccapurple             | b_rgb:663399
            b_RebeccaPurple             | b_rgb:663399
            b_lightgoldenrodyellow      | b_rgb:fafad2
            b_grey                      | b_rgb:808080
            b_gray                      | b_rgb:808080
            c_pad,b_navy,w_10           | b_rgb:000080,c_pad,w_10
            fl_progressive              | fl_progressive
            fl_attachment               | fl_attachment
            w_300,h_200,c_fill,g_auto   | c_fill,g_auto,h_200,w_300
            w_300,q_80                  | q_80,w_300
            q_80,w_300                  | q_80,w_300
            c_scale,g_center,dpr_1.0    | ''
            w_auto,f_auto,q_auto,dpr_auto | dpr_auto,f_auto,q_auto,w_auto
            fl_progressive,fl_attachment,e_sharpen,e_grayscale,e_blur:5 | e_blur:5,e_grayscale,e_sharpen,fl_attachment,fl_progressive
            b_rgb:FF0000,ar_4:3,a_hflip,c_pad | a_hflip,ar_4:3,b_rgb:ff0000,c_pad
            t_thumb                     | c_fill,h_150,w_150
            t_thumb,w_300               | c_fill,h_150,w_300
            t_hero,q_auto:eco           | q_auto:eco,w_1600
            """)
    void printsTheCanonicalForm(String input, String canonical) {
        Transformation parsed = TransformationParser.parse(input, PRESETS);

        assertThat(TransformationPrinter.print(parsed)).isEqualTo(canonical);
        // The canonical form is a fixed point, and means the same as the input.
        if (!canonical.isEmpty()) {
            Transformation reparsed = TransformationParser.parse(canonical, Presets.NONE);
            assertThat(reparsed).isEqualTo(parsed);
            assertThat(TransformationPrinter.print(reparsed)).isEqualTo(canonical);
        } else {
            assertThat(parsed).isEqualTo(Transformation.NONE);
        }
    }

    static Stream<Arguments> values() {
        return Stream.of(
                arguments("w_300", none().width(new Length.Pixels(300))),
                arguments("w_1", none().width(new Length.Pixels(1))),
                arguments("w_1.0", none().width(new Length.Fraction(1.0))),
                arguments("w_0.5", none().width(new Length.Fraction(0.5))),
                arguments("w_auto", none().width(new Length.Auto(OptionalInt.empty()))),
                arguments("w_auto:640", none().width(new Length.Auto(OptionalInt.of(640)))),
                arguments("h_0.25", none().height(new Length.Fraction(0.25))),
                arguments("c_lpad,g_south_west", none().crop(Crop.LPAD).gravity(Gravity.SOUTH_WEST)),
                arguments("ar_16:9", none().aspectRatio(16, 9, true)),
                arguments("ar_1.5", none().aspectRatio(1.5, 1, false)),
                arguments("q_75", none().quality(new Quality.Fixed(75))),
                arguments("q_auto", none().quality(new Quality.Auto(Quality.Level.GOOD))),
                arguments("q_auto:low", none().quality(new Quality.Auto(Quality.Level.LOW))),
                arguments("f_jpeg", none().format(ImageFormat.JPEG)),
                arguments("f_avif", none().format(ImageFormat.AVIF)),
                arguments("f_auto", none().formatAuto()),
                arguments("dpr_2", none().dpr(new Dpr.Fixed(2.0))),
                arguments("dpr_auto", none().dpr(new Dpr.Auto())),
                arguments("e_blur", none().blur(100)),
                arguments("e_blur:7,e_sharpen:2000", none().blur(7).sharpen(2000)),
                arguments("e_grayscale", none().grayscale()),
                arguments("a_270", none().angle(Angle.R270)),
                arguments("b_rgb:10203F", none().background(0x10, 0x20, 0x3f)),
                arguments("fl_progressive,fl_attachment", none().progressive().attachment()),
                arguments("t_thumb", none().crop(Crop.FILL).width(new Length.Pixels(150))
                        .height(new Length.Pixels(150))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void parsesToTheMeaning(String input, TransformationFixture expected) {
        assertThat(TransformationParser.parse(input, PRESETS)).isEqualTo(expected.build());
    }

    @ParameterizedTest(name = "{0} == {1}")
    @CsvSource(delimiter = '|', textBlock = """
            w_300,q_80                      | q_80,w_300
            c_fill,w_150,h_150,g_auto       | g_auto,h_150,c_fill,w_150
            f_jpg                           | f_jpeg
            dpr_2                           | dpr_2.0
            w_0.50                          | w_0.5
            q_auto                          | q_auto:good
            e_blur                          | e_blur:100
            b_rgb:FFFFFF                    | b_rgb:ffffff
            b_black                         | b_rgb:000000
            b_BLACK,c_pad                   | c_pad,b_rgb:000000
            b_aqua                          | b_cyan
            b_darkgrey                      | b_darkgray
            g_auto:subject,c_fill,w_9,h_9   | c_fill,g_auto,w_9,h_9
            g_faces,c_fill,w_9,h_9          | c_fill,g_faces,w_9,h_9
            w_150,g_face,c_thumb,h_150      | c_thumb,g_face,h_150,w_150
            e_saturation:0,w_9              | w_9
            o_100,w_9                       | w_9
            c_crop,z_1,w_9                  | c_crop,w_9
            c_scale,w_10                    | w_10,g_center
            t_thumb                         | w_150,h_150,c_fill
            t_thumb,w_300                   | w_300,t_thumb
            """)
    void equivalentSegmentsAreOneValue(String a, String b) {
        Transformation ta = TransformationParser.parse(a, PRESETS);
        Transformation tb = TransformationParser.parse(b, PRESETS);

        assertThat(ta).isEqualTo(tb);
        assertThat(ta.hashCode()).isEqualTo(tb.hashCode());
        assertThat(TransformationPrinter.print(ta)).isEqualTo(TransformationPrinter.print(tb));
    }

    @Test
    void differentMeaningsStayApart() {
        // A point makes a fraction: these must never collapse into one variant.
        assertThat(TransformationParser.parse("w_1", Presets.NONE))
                .isNotEqualTo(TransformationParser.parse("w_1.0", Presets.NONE));
        assertThat(TransformationParser.parse("q_auto", Presets.NONE))
                .isNotEqualTo(TransformationParser.parse("q_auto:eco", Presets.NONE));
        assertThat(TransformationParser.parse("e_blur", Presets.NONE))
                .isNotEqualTo(TransformationParser.parse("e_blur:101", Presets.NONE));
    }

    /** All 148 CSS names (CSS Color 4, grey and gray both), each printed as its rgb: hex. */
    @Test
    void everyCssColourNameIsItsHex() {
        assertThat(CssColours.COUNT).isEqualTo(148);
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_tomato", Presets.NONE)))
                .isEqualTo("b_rgb:ff6347");
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_MediumSpringGreen", Presets.NONE)))
                .isEqualTo("b_rgb:00fa9a");
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_darkslategray", Presets.NONE)))
                .isEqualTo("b_rgb:2f4f4f");
        // The four where CSS differs from X11's rgb.txt: CSS's values.
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_gray", Presets.NONE))).isEqualTo("b_rgb:808080");
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_green", Presets.NONE))).isEqualTo("b_rgb:008000");
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_maroon", Presets.NONE))).isEqualTo("b_rgb:800000");
        assertThat(TransformationPrinter.print(TransformationParser.parse("b_purple", Presets.NONE))).isEqualTo("b_rgb:800080");
    }

    @Test
    void printsNothingForNone() {
        assertThat(TransformationPrinter.print(Transformation.NONE)).isEmpty();
    }

    @Test
    void acceptsASegmentOfExactlyTheMaximumLength() {
        String segment = "w_" + "0".repeat(TransformationParser.MAX_LENGTH - 5) + "300";
        assertThat(segment).hasSize(TransformationParser.MAX_LENGTH);

        assertThat(TransformationPrinter.print(TransformationParser.parse(segment, Presets.NONE))).isEqualTo("w_300");
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                // width
                arguments("w_abc", "w_abc", "width must be a positive integer"),
                arguments("w_0", "w_0", "width"),
                arguments("w_00", "w_00", "width"),
                arguments("w_-5", "w_-5", "width"),
                arguments("w_+5", "w_+5", "width"),
                arguments("w_1e3", "w_1e3", "width"),
                arguments("w_NaN", "w_NaN", "width"),
                arguments("w_Infinity", "w_Infinity", "width"),
                arguments("w_0x10", "w_0x10", "width"),
                arguments("w_0.0", "w_0.0", "fraction"),
                arguments("w_1.5", "w_1.5", "fraction"),
                arguments("w_1.0000001", "w_1.0000001", "fraction"),
                arguments("w_.5", "w_.5", "width"),
                arguments("w_1.", "w_1.", "width"),
                arguments("w_1,5", "5", "unknown parameter"),
                arguments("w_300px", "w_300px", "width"),
                arguments("w_ 300", "w_ 300", "width"),
                arguments("w_300 ", "w_300 ", "width"),
                arguments("w_300\t", "w_300\t", "width"),
                arguments("w_３００", "w_３００", "width"),
                arguments("w_2147483648", "w_2147483648", "width"),
                arguments("w_99999999999999999999", "w_99999999999999999999", "width"),
                arguments("w_", "w_", "width"),
                arguments("w_auto:", "w_auto:", "fallback"),
                arguments("w_auto:0", "w_auto:0", "fallback"),
                arguments("w_auto:0.5", "w_auto:0.5", "fallback"),
                arguments("w_auto:-1", "w_auto:-1", "fallback"),
                arguments("w_auto:abc", "w_auto:abc", "fallback"),
                arguments("w_Auto", "w_Auto", "width"),
                arguments("w_auto:good", "w_auto:good", "fallback"),
                // height
                arguments("h_auto", "h_auto", "auto is for width only"),
                arguments("h_auto:300", "h_auto:300", "auto is for width only"),
                arguments("h_0", "h_0", "height must be a positive integer"),
                arguments("h_-1", "h_-1", "height"),
                arguments("h_1.01", "h_1.01", "height"),
                // names
                arguments("W_300", "W_300", "unknown parameter"),
                arguments(" w_300", " w_300", "unknown parameter"),
                arguments("x_1", "x", "x_ and y_ position a c_crop"),
                arguments("width_300", "width_300", "unknown parameter"),
                arguments("w300", "w300", "unknown parameter"),
                arguments("w", "w", "unknown parameter"),
                arguments("_300", "_300", "unknown parameter"),
                arguments("C_fill", "C_fill", "unknown parameter"),
                arguments("Dpr_2", "Dpr_2", "unknown parameter"),
                arguments("l_logo", "l_logo", "a layer is l_<image id>"),
                // crop and gravity
                arguments("c_FILL", "c_FILL", "crop mode"),
                arguments("c_", "c_", "crop mode"),
                arguments("c_stretch", "c_stretch", "crop mode"),
                arguments("g_centre", "g_centre", "gravity"),
                arguments("g_northeast", "g_northeast", "gravity"),
                arguments("g_face:center", "g_face:center", "without qualifiers"),
                arguments("g_faces:auto", "g_faces:auto", "without qualifiers"),
                arguments("g_custom", "g_custom", "no stored custom coordinates"),
                arguments("g_Face", "g_Face", "gravity must be one of"),
                // aspect ratio
                arguments("ar_0:9", "ar_0:9", "aspect ratio"),
                arguments("ar_16:0", "ar_16:0", "aspect ratio"),
                arguments("ar_16:", "ar_16:", "aspect ratio"),
                arguments("ar_:9", "ar_:9", "aspect ratio"),
                arguments("ar_16:9:1", "ar_16:9:1", "aspect ratio"),
                arguments("ar_-1.5", "ar_-1.5", "aspect ratio"),
                arguments("ar_0", "ar_0", "aspect ratio"),
                arguments("ar_0.0", "ar_0.0", "aspect ratio"),
                arguments("ar_1e3", "ar_1e3", "aspect ratio"),
                arguments("ar_16/9", "ar_16/9", "aspect ratio"),
                arguments("ar_NaN", "ar_NaN", "aspect ratio"),
                arguments("ar_", "ar_", "aspect ratio"),
                arguments("ar_" + "9".repeat(400), "ar_" + "9".repeat(400), "aspect ratio"),
                // quality
                arguments("q_0", "q_0", "quality"),
                arguments("q_101", "q_101", "quality"),
                arguments("q_-1", "q_-1", "quality"),
                arguments("q_80.5", "q_80.5", "quality"),
                arguments("q_auto:great", "q_auto:great", "quality level"),
                arguments("q_auto:", "q_auto:", "quality level"),
                arguments("q_auto:GOOD", "q_auto:GOOD", "quality level"),
                arguments("q_AUTO", "q_AUTO", "quality"),
                arguments("q_", "q_", "quality"),
                // format
                arguments("f_jpgx", "f_jpgx", "format"),
                arguments("f_heic", "f_heic", "format"),
                arguments("f_tiff", "f_tiff", "format"),
                arguments("f_JPG", "f_JPG", "format"),
                arguments("f_", "f_", "format"),
                arguments("f_jpeg ", "f_jpeg ", "format"),
                arguments("f_svg", "f_svg", "format"),
                // dpr
                arguments("dpr_0.5", "dpr_0.5", "device pixel ratio"),
                arguments("dpr_4.5", "dpr_4.5", "device pixel ratio"),
                arguments("dpr_4.0000001", "dpr_4.0000001", "device pixel ratio"),
                arguments("dpr_0", "dpr_0", "device pixel ratio"),
                arguments("dpr_5", "dpr_5", "device pixel ratio"),
                arguments("dpr_NaN", "dpr_NaN", "device pixel ratio"),
                arguments("dpr_1e0", "dpr_1e0", "device pixel ratio"),
                arguments("dpr_2.", "dpr_2.", "device pixel ratio"),
                arguments("dpr_Auto", "dpr_Auto", "device pixel ratio"),
                arguments("dpr_", "dpr_", "device pixel ratio"),
                // effects
                arguments("e_blur:0", "e_blur:0", "e_blur takes an integer 1 to 2000 (default 100)"),
                arguments("e_blur:2001", "e_blur:2001", "1 to 2000"),
                arguments("e_blur:", "e_blur:", "1 to 2000"),
                arguments("e_blur:abc", "e_blur:abc", "1 to 2000"),
                arguments("e_blur:1.5", "e_blur:1.5", "1 to 2000"),
                arguments("e_sharpen:-1", "e_sharpen:-1", "1 to 2000"),
                arguments("e_sharpen:99999999999", "e_sharpen:99999999999", "1 to 2000"),
                arguments("e_grayscale:50", "e_grayscale:50", "takes no value"),
                arguments("e_greyscale", "e_greyscale", "unknown parameter"),
                arguments("e_oil_paint", "e_oil_paint", "unknown parameter"),
                arguments("e_brightness:-100", "e_brightness:-100", "-99 to 100"),
                arguments("e_brightness:+5", "e_brightness:+5", "-99 to 100"),
                arguments("e_brightness:--5", "e_brightness:--5", "-99 to 100"),
                arguments("e_contrast:-0", "e_contrast:-0", "-100 to 100"),
                arguments("e_negate:1", "e_negate:1", "takes no value"),
                arguments("e_pixelate:0", "e_pixelate:0", "1 to 200"),
                arguments("e_trim:101", "e_trim:101", "0 to 100"),
                arguments("e_trim:10:white", "e_trim:10:white", "colour override is not supported"),
                arguments("e_trim:::", "e_trim:::", "colour override is not supported"),
                arguments("c_auto,w_300,h_300", "c_auto", "use c_fill,g_auto"),
                arguments("c_auto_pad", "c_auto_pad", "unsupported parameter"),
                arguments("c_fill_pad", "c_fill_pad", "unsupported parameter"),
                arguments("c_mfit", "c_mfit", "unsupported parameter"),
                arguments("c_mpad", "c_mpad", "unsupported parameter"),
                arguments("c_imagga_crop", "c_imagga_crop", "Imagga"),
                arguments("c_crop,g_face,w_10,x_5", "g", "g_face would place it by content"),
                arguments("g_auto:", "g_auto:", "gravity"),
                arguments("g_auto:Face", "g_auto:Face", "lowercase words"),
                arguments("c_fill,w_10,h_10,x_5", "x", "position a c_crop"),
                arguments("c_crop,g_auto,w_10,x_5", "g", "g_auto would place it by content"),
                arguments("c_fill,z_2", "z", "z_ zooms a c_crop or c_thumb"),
                arguments("c_crop,z_0.01", "z_0.01", "zoom must be a number 0.1-10"),
                arguments("c_thumb,w_100,z_2", "z", "z_ zooms a c_thumb of both w_ and h_"),
                arguments("c_crop,x_-5", "x_-5", "whole number of pixels from 0"),
                arguments("c_crop,x_1.5", "x_1.5", "fraction 0.0-1.0"),
                arguments("r_0", "r_0", "radius must be max"),
                arguments("r_10:20", "r_10:20", "radius must be max"),
                arguments("bo_5px_dashed_red", "bo_5px_dashed_red", "<width>px_solid_<colour>"),
                arguments("bo_0px_solid_red", "bo_0px_solid_red", "<width>px_solid_<colour>"),
                arguments("bo_5px_solid_nocolour", "bo_5px_solid_nocolour", "<width>px_solid_<colour>"),
                arguments("o_101", "o_101", "opacity must be an integer 0-100"),
                arguments("o_-1", "o_-1", "opacity"),
                arguments("pg_0", "pg_0", "page must be an integer 1-10000"),
                arguments("co_blurple", "co_blurple", "colour must be"),
                arguments("d_avatar.png", "d_avatar.png", "image id"),
                arguments("d_0123456789abcdef.PNG", "d_0123456789abcdef.PNG", "image id"),
                arguments("e_", "e_", "unknown parameter"),
                arguments("e_Blur", "e_Blur", "unknown parameter"),
                // angle
                arguments("a_45", "a_45", "angle"),
                arguments("a_0", "a_0", "angle"),
                arguments("a_-90", "a_-90", "angle"),
                arguments("a_360", "a_360", "angle"),
                arguments("a_090", "a_090", "angle"),
                arguments("a_HFLIP", "a_HFLIP", "angle"),
                // background
                arguments("b_rgb:fff", "b_rgb:fff", "six hex digits"),
                arguments("b_rgb:gggggg", "b_rgb:gggggg", "six hex digits"),
                arguments("b_rgb:ffffff0", "b_rgb:ffffff0", "six hex digits"),
                arguments("b_rgb:", "b_rgb:", "six hex digits"),
                arguments("b_transparent", "b_transparent", "or a CSS colour name"),
                arguments("b_notacolour", "b_notacolour", "or a CSS colour name"),
                arguments("b_", "b_", "or a CSS colour name"),
                arguments("b_black,b_rgb:000000", "b_rgb:000000", "repeated parameter"),
                arguments("b_" + "black".repeat(100), "b_" + "black".repeat(100), "or a CSS colour name"),
                arguments("b_RGB:ffffff", "b_RGB:ffffff", "six hex digits"),
                arguments("b_#ffffff", "b_#ffffff", "six hex digits"),
                arguments("b_rgb:+fffff", "b_rgb:+fffff", "six hex digits"),
                // flags
                arguments("fl_progressive:1", "fl_progressive:1", "unknown parameter"),
                arguments("fl_lossy", "fl_lossy", "unknown parameter"),
                arguments("fl_", "fl_", "unknown parameter"),
                // presets
                arguments("t_unknown", "t_unknown", "unknown preset 'unknown'"),
                arguments("t_", "t_", "preset name"),
                arguments("t_Thumb", "t_Thumb", "preset name"),
                arguments("t_thumb,t_hero", "t_hero", "repeated parameter"),
                arguments("t_thumb,t_thumb", "t_thumb", "repeated parameter"),
                // repeats, also through different spellings
                arguments("w_100,w_200", "w_200", "repeated parameter 'w_200' (already given as 'w_100')"),
                arguments("w_100,w_100", "w_100", "repeated parameter"),
                arguments("w_auto,w_0.5", "w_0.5", "repeated parameter"),
                arguments("f_jpg,f_jpeg", "f_jpeg", "already given as 'f_jpg'"),
                arguments("f_auto,f_png", "f_png", "repeated parameter"),
                arguments("c_scale,c_fill", "c_fill", "repeated parameter"),
                arguments("g_center,g_center", "g_center", "repeated parameter"),
                arguments("e_blur,e_blur:200", "e_blur:200", "repeated parameter"),
                arguments("e_grayscale,e_grayscale", "e_grayscale", "repeated parameter"),
                arguments("fl_progressive,fl_progressive", "fl_progressive", "repeated parameter"),
                arguments("dpr_2,dpr_2.0", "dpr_2.0", "repeated parameter"),
                arguments("q_auto,q_auto:good", "q_auto:good", "repeated parameter"),
                arguments("b_rgb:ffffff,b_rgb:FFFFFF", "b_rgb:FFFFFF", "repeated parameter"),
                arguments("a_90,a_hflip", "a_hflip", "repeated parameter"),
                arguments("ar_16:9,ar_1.5", "ar_1.5", "repeated parameter"),
                arguments("h_1,h_2", "h_2", "repeated parameter"),
                // empty parameters and segments
                arguments("w_1,,h_2", "", "empty parameter"),
                arguments("w_1,", "", "empty parameter"),
                arguments(",w_1", "", "empty parameter"),
                arguments(",", "", "empty parameter"),
                arguments("", "transformation", "empty"),
                // a bad parameter after good ones is still found
                arguments("w_300,h_200,q_8o", "q_8o", "quality"),
                // size bound
                arguments("w_" + "0".repeat(TransformationParser.MAX_LENGTH), "transformation", "longer than 1024"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("rejections")
    void rejectsNamingTheParameter(String segment, String parameter, String messageFragment) {
        assertThatThrownBy(() -> TransformationParser.parse(segment, PRESETS))
                .isInstanceOfSatisfying(UrlException.class, e -> {
                    assertThat(e.parameter()).isEqualTo(parameter);
                    assertThat(e.getMessage()).contains(messageFragment);
                    if (!parameter.isEmpty()) {
                        assertThat(e.getMessage()).contains(UrlException.echo(parameter));
                    }
                });
    }

    @Test
    void messageHasTheSpecShape() {
        assertThatThrownBy(() -> TransformationParser.parse("w_abc", Presets.NONE))
                .isInstanceOf(UrlException.class)
                .hasMessage("invalid parameter 'w_abc': width must be a positive integer, "
                        + "a fraction 0.0-1.0 with a decimal point, or auto[:<pixels>]");
    }

    @Test
    void messageDoesNotEchoAHugeParameter() {
        String huge = "x_" + "a".repeat(1000);

        assertThatThrownBy(() -> TransformationParser.parse(huge, Presets.NONE))
                .isInstanceOfSatisfying(UrlException.class, e -> {
                    assertThat(e.parameter()).isEqualTo(huge);
                    assertThat(e.getMessage()).hasSizeLessThan(200);
                });
    }

    @Test
    void withoutPresetsEveryPresetIsUnknown() {
        assertThatThrownBy(() -> TransformationParser.parse("t_thumb", Presets.NONE))
                .isInstanceOfSatisfying(UrlException.class,
                        e -> assertThat(e.parameter()).isEqualTo("t_thumb"))
                .hasMessageContaining("unknown preset 'thumb'");
    }
}
