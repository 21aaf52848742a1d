package org.imgorigin.url;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Layers ({@code l_}) as Cloudinary's SDKs write them: parsed, printed once, and read back equal. */
class LayerParsingTest {
    private static final String ID = "3972b16287e595a88a50624587bccc66ece0f4c7";
    private static final String LOGO = "abcdef0123456789abcdef0123456789abcdef01";

    private static ImagePath path(String path) {
        return ImagePath.parse(path, Presets.NONE);
    }

    /** Each URL below is what @cloudinary/url-gen 1.22 or cloudinary 2.11 printed (CloudinarySdkTest runs them). */
    @ParameterizedTest
    @ValueSource(strings = {
        "/image/upload/c_scale,w_600/l_" + LOGO + "/c_scale,w_100/o_50/fl_layer_apply,g_south_east,x_10,y_10/" + ID,
        "/image/upload/co_white,l_text:Arial_40_bold:Hello%252C%20World%20%252F%20100%25%20%C3%BCn%C3%AF/fl_layer_apply/" + ID,
        "/image/upload/l_text:Roboto_40_italic_letter_spacing_4:Hello/fl_layer_apply/" + ID,
        "/image/upload/c_scale,w_600/fl_relative,g_south_east,l_" + LOGO + ",o_60,w_0.2,x_10,y_10/" + ID,
        "/image/upload/co_white,g_north,l_text:Arial_40_bold:Hello%252C%20World%20%252F%20100%25%20%C3%BCn%C3%AF/" + ID,
        "/image/upload/co_rgb:ff0000,l_text:Arial_30:Hi%20there/" + ID,
    })
    void sdkUrlsRoundTrip(String url) {
        ImagePath parsed = path(url);
        String canonical = parsed.print();
        ImagePath again = path(canonical);
        assertEquals(parsed.transformation(), again.transformation(), canonical);
        assertEquals(canonical, again.print());
    }

    @Test
    void textIsDecodedAsTheSdksEncodeIt() {
        Transformation t = path("/co_white,l_text:Arial_40_bold:Hello%252C%20World%20%252F%20100%25%20%C3%BCn%C3%AF/"
                + "fl_layer_apply/" + ID).transformation();
        Layer.Source.Text text = (Layer.Source.Text) t.layer().orElseThrow().source();
        assertEquals("Hello, World / 100% ünï", text.text());
        assertEquals("Arial", text.font().family());
        assertEquals(40, text.font().size());
        assertTrue(text.font().bold());
        assertEquals(new Transformation.Rgb(255, 255, 255), text.colour());
        // Hand-written single escapes mean the same.
        assertEquals(t, path("/co_white,l_text:Arial_40_bold:Hello%2C%20World%20%2F%20100%25%20%C3%BCn%C3%AF/" + ID)
                .transformation());
    }

    @Test
    void oneComponentAndSpreadFormsAreOneVariant() {
        Transformation one = path("/w_600/g_south_east,l_" + LOGO + ",o_50,w_100,x_10,y_10/" + ID).transformation();
        Transformation spread = path("/w_600/l_" + LOGO + "/w_100,o_50/fl_layer_apply,g_south_east,x_10,y_10/" + ID)
                .transformation();
        assertEquals(one, spread);
        assertEquals("w_600/g_south_east,l_" + LOGO + ",o_50,w_100,x_10,y_10", TransformationPrinter.print(one));
        assertEquals(java.util.List.of(new ImageId(LOGO)), one.layerImages());
    }

    @Test
    void requestWideParametersLeaveTheLayer() {
        Transformation t = path("/l_" + LOGO + ",g_north/f_webp,q_80/" + ID).transformation();
        assertEquals(Optional.of(new Transformation.FormatChoice.Fixed(org.imgorigin.image.ImageFormat.WEBP)), t.format());
        assertEquals("f_webp,g_north,l_" + LOGO + ",q_80", TransformationPrinter.print(t));
    }

    @Test
    void layerStagesThatPlaceThemselvesPrintSpreadOut() {
        Transformation t = path("/l_" + LOGO + ",c_fill,g_north,w_50,h_50/e_grayscale/fl_layer_apply,g_west,x_-5/" + ID)
                .transformation();
        String printed = TransformationPrinter.print(t);
        assertEquals("c_fill,g_north,h_50,l_" + LOGO + ",w_50/e_grayscale/fl_layer_apply,g_west,x_-5", printed);
        assertEquals(t, path("/" + printed + "/" + ID).transformation());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/fl_layer_apply/" + ID,
        "/fl_relative,w_0.5/" + ID,
        "/l_" + LOGO + ",fl_relative,w_100/" + ID,
        "/l_nothex/" + ID,
        "/l_text:Arial:Hi/" + ID,
        "/l_text:Arial_40_underline:Hi/" + ID,
        "/l_text:Arial_4000:Hi/" + ID,
        "/l_text:Ar.ttf_40:Hi/" + ID,
        "/l_text:Arial_40:/" + ID,
        "/l_text:Arial_40:%ZZ/" + ID,
        "/l_text:Arial_40:%FF%FE/" + ID,
        "/l_text:Arial_40:a%01b/" + ID,
        "/l_" + LOGO + ",g_auto/" + ID,
        "/l_" + LOGO + "/f_webp/fl_layer_apply/" + ID,
        "/l_" + LOGO + "/fl_layer_apply,w_100/" + ID,
        "/l_" + LOGO + "/l_" + LOGO + "/fl_layer_apply/fl_layer_apply/" + ID,
        "/l_" + LOGO + ",x_1.5/" + ID,
        "/l_a%20b/" + ID,
        // three stages that hold a whole image, two in one layer: over the chain's bound of 2
        "/e_blur:300/l_" + LOGO + ",a_90/a_90/fl_layer_apply/" + ID,
        "/l_" + LOGO + ",a_90/a_90/a_90/fl_layer_apply/" + ID,
        "/l_" + LOGO + ",e_trim/fl_layer_apply/" + ID,
        "/l_text:Arial_20_line_spacing_-5:a%0Ab/" + ID,
    })
    void badLayersAreRefused(String url) {
        assertThrows(UrlException.class, () -> path(url));
    }

    @Test
    void tooLongATextIsRefusedWithItsLength() {
        String text = "a".repeat(Layer.MAX_TEXT + 1);
        UrlException e = assertThrows(UrlException.class, () -> path("/l_text:Arial_20:" + text + "/" + ID));
        assertTrue(e.getMessage().contains("201 characters"), e.getMessage());
    }

    @Test
    void tooManyLayersAreRefused() {
        String layer = "l_" + LOGO + ",g_north";
        String url = "/" + String.join("/", java.util.Collections.nCopies(Layer.MAX_LAYERS + 1, layer)) + "/" + ID;
        UrlException e = assertThrows(UrlException.class, () -> path(url));
        assertTrue(e.getMessage().contains("at most " + Layer.MAX_LAYERS + " layers"), e.getMessage());
    }

    @Test
    void textWithEveryCharacterRoundTrips() {
        String text = "a,b/c%d~e:f_g h\nü€😀<&>";
        String printed = "l_text:DejaVu%20Sans_20:" + Layer.encodeText(text);
        Transformation t = path("/" + printed + "/" + ID).transformation();
        assertEquals(text, ((Layer.Source.Text) t.layer().orElseThrow().source()).text());
        assertEquals(printed, TransformationPrinter.print(t));
        assertTrue(!printed.contains("~") && !printed.contains("/") && !printed.contains(","), printed);
    }
}
