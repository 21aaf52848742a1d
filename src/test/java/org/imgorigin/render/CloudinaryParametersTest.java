package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imgorigin.render.Fixtures.decode;
import static org.imgorigin.render.Fixtures.image;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;
import org.junit.jupiter.api.Test;

/**
 * The Cloudinary parameters beyond resizing, checked by the pixels they make (decoded by the
 * JDK, not by libvips): chained stages in order, effects, rounded corners, borders, opacity,
 * trimming, pages, positioned and zoomed crops.
 */
class CloudinaryParametersTest {
    private final Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
    private final byte[] photo = image("photo.jpg"); // 1200×675 JPEG
    private final byte[] salient = image("salient-right.png"); // flat grey, a photo patch in its right third

    /** A URL's stages, {@code a/b/c}, as the server parses them. */
    private static Transformation chain(String stages) {
        return TransformationParser.parseStages(List.of(stages.split("/")), Presets.NONE);
    }

    private BufferedImage png(byte[] source, String stages) throws RenderException {
        return decode(renderer.render(source, chain(stages), ImageFormat.PNG).bytes());
    }

    @Test
    void stagesApplyInOrderEachToTheResultOfTheLast() throws Exception {
        // Resize then crop: a 50×50 piece of a 100 px wide image. Crop then resize: 100×100.
        BufferedImage resizedThenCropped = png(photo, "w_100/c_crop,w_50,h_50");
        BufferedImage croppedThenResized = png(photo, "c_crop,w_50,h_50/w_100");
        assertThat(resizedThenCropped.getWidth()).isEqualTo(50);
        assertThat(resizedThenCropped.getHeight()).isEqualTo(50);
        assertThat(croppedThenResized.getWidth()).isEqualTo(100);
        assertThat(croppedThenResized.getHeight()).isEqualTo(100);
        // The second stage's crop is of the first stage's 100×56 image, not of the original.
        BufferedImage hundred = png(photo, "w_100");
        assertThat(Fixtures.meanDifference(resizedThenCropped, hundred.getSubimage(25, 3, 50, 50))).isLessThan(2.0);
    }

    /** Rotations read their input out of order: without a resize that input is the decoder's own. */
    @Test
    void rotatesWithoutAResize() throws Exception {
        for (String angle : new String[] {"a_90", "a_180", "a_270", "a_vflip", "a_hflip"}) {
            RenderedImage out = renderer.render(photo, chain(angle), ImageFormat.JPEG);
            boolean quarter = angle.equals("a_90") || angle.equals("a_270");
            assertThat(out.width()).as(angle).isEqualTo(quarter ? 675 : 1200);
        }
    }

    /** The encoder's budget is for what is encoded: a large first stage of a small result is not refused. */
    @Test
    void onlyTheLastStageIsBudgetedForTheEncoder() throws Exception {
        RenderedImage out = renderer.render(photo, chain("w_6000,h_6000,c_scale/w_100"), ImageFormat.WEBP);
        assertThat(out.width()).isEqualTo(100);
    }

    @Test
    void dprScalesEveryStage() throws Exception {
        RenderedImage out = renderer.render(photo, chain("c_fill,w_100,h_100/r_10/dpr_2.0"), ImageFormat.PNG);
        assertThat(out.width()).isEqualTo(200);
        BufferedImage image = decode(out.bytes());
        // A radius of 10 CSS pixels is 20 image pixels at DPR 2: (5, 5) is outside the curve.
        assertThat(alpha(image, 5, 5)).isZero();
        assertThat(alpha(image, 100, 100)).isEqualTo(255);
    }

    @Test
    void negateInvertsEveryChannel() throws Exception {
        BufferedImage plain = png(photo, "w_200");
        BufferedImage negated = png(photo, "w_200,e_negate");
        BufferedImage inverse = new BufferedImage(plain.getWidth(), plain.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < plain.getHeight(); y++) {
            for (int x = 0; x < plain.getWidth(); x++) {
                inverse.setRGB(x, y, ~plain.getRGB(x, y) & 0xFFFFFF);
            }
        }
        assertThat(Fixtures.meanDifference(negated, inverse)).isLessThan(1.0);
    }

    @Test
    void brightnessContrastAndSaturationMoveTheirMeasure() throws Exception {
        BufferedImage plain = png(photo, "w_200");
        assertThat(meanLuma(png(photo, "w_200,e_brightness:40"))).isGreaterThan(meanLuma(plain) + 10);
        assertThat(meanLuma(png(photo, "w_200,e_brightness:-40"))).isLessThan(meanLuma(plain) - 10);
        assertThat(Fixtures.luminanceSpread(png(photo, "w_200,e_contrast:60")))
                .isGreaterThan(Fixtures.luminanceSpread(plain) * 1.15); // clipped at both ends
        assertThat(Fixtures.luminanceSpread(png(photo, "w_200,e_contrast:-60")))
                .isLessThan(Fixtures.luminanceSpread(plain) * 0.6);
        assertThat(meanChroma(png(photo, "w_200,e_saturation:-100"))).isLessThan(1.5);
        assertThat(meanChroma(png(photo, "w_200,e_saturation:80"))).isGreaterThan(meanChroma(plain) * 1.4);
    }

    @Test
    void sepiaTonesGreyWarm() throws Exception {
        // The grey left part of salient-right.png turns brown: red over green over blue.
        Color c = new Color(png(salient, "w_300,e_sepia").getRGB(20, 20));
        assertThat(c.getRed()).isGreaterThan(c.getGreen());
        assertThat(c.getGreen()).isGreaterThan(c.getBlue());
        Color half = new Color(png(salient, "w_300,e_sepia:20").getRGB(20, 20));
        assertThat(half.getRed() - half.getBlue()).isLessThan(c.getRed() - c.getBlue());
    }

    @Test
    void pixelateMakesSquaresOfOneColour() throws Exception {
        BufferedImage out = png(photo, "w_200,e_pixelate:10");
        assertThat(out.getWidth()).isEqualTo(200);
        for (int square = 0; square < 5; square++) {
            int x0 = 10 * square + 40;
            int colour = out.getRGB(x0, 50);
            for (int dy = 0; dy < 10; dy++) {
                for (int dx = 0; dx < 10; dx++) {
                    assertThat(out.getRGB(x0 + dx, 50 + dy)).isEqualTo(colour);
                }
            }
        }
    }

    @Test
    void trimCutsAwayAUniformBorder() throws Exception {
        // The photo padded with white to 400×400, then trimmed back to the photo's 400×225.
        byte[] padded = renderer.render(photo, chain("c_pad,w_400,h_400"), ImageFormat.PNG).bytes();
        RenderedImage trimmed = renderer.render(padded, chain("e_trim"), ImageFormat.PNG);
        assertThat(trimmed.width()).isEqualTo(400);
        assertThat(trimmed.height()).isBetween(223, 227);
        // An original larger than the trim preview (4 MP): the box is found on the preview and
        // scaled, within a pixel or two of the exact one.
        byte[] large = renderer.render(photo, chain("c_pad,w_3000,h_3000"), ImageFormat.PNG).bytes();
        RenderedImage trimmedLarge = renderer.render(large, chain("e_trim"), ImageFormat.PNG);
        assertThat(trimmedLarge.width()).isBetween(2996, 3000);
        assertThat(trimmedLarge.height()).isBetween(1683, 1693);
        // In a later stage too, and before that stage's resize.
        RenderedImage later = renderer.render(photo, chain("c_pad,w_400,h_400/e_trim,w_200"), ImageFormat.PNG);
        assertThat(later.width()).isEqualTo(200);
        assertThat(later.height()).isBetween(111, 114);
    }

    @Test
    void roundedCornersAreTransparentOrTheBackground() throws Exception {
        BufferedImage circle = png(photo, "c_fill,w_200,h_200,r_max");
        assertThat(alpha(circle, 0, 0)).isZero();
        assertThat(alpha(circle, 199, 199)).isZero();
        assertThat(alpha(circle, 100, 100)).isEqualTo(255);
        assertThat(alpha(circle, 100, 1)).isGreaterThan(100); // the circle touches the edge
        BufferedImage rounded = png(photo, "c_fill,w_200,h_100,r_20");
        assertThat(alpha(rounded, 2, 2)).isZero();
        assertThat(alpha(rounded, 0, 50)).isEqualTo(255);
        assertThat(alpha(rounded, 100, 0)).isEqualTo(255);
        // JPEG has no alpha: the corners show b_, white by default.
        BufferedImage jpeg = decode(renderer.render(photo, chain("c_fill,w_200,h_200,r_max,b_red"), ImageFormat.JPEG)
                .bytes());
        Color corner = new Color(jpeg.getRGB(1, 1));
        assertThat(corner.getRed()).isGreaterThan(230);
        assertThat(corner.getGreen()).isLessThan(30);
    }

    @Test
    void borderSurroundsTheImageAndFollowsItsCorners() throws Exception {
        RenderedImage out = renderer.render(photo, chain("c_fill,w_200,h_100,bo_5px_solid_blue"), ImageFormat.PNG);
        assertThat(out.width()).isEqualTo(210);
        assertThat(out.height()).isEqualTo(110);
        BufferedImage image = decode(out.bytes());
        assertThat(image.getRGB(2, 50) & 0xFFFFFF).isEqualTo(0x0000FF);
        assertThat(image.getRGB(105, 108) & 0xFFFFFF).isEqualTo(0x0000FF);
        BufferedImage round = png(photo, "c_fill,w_200,h_200,r_max,bo_4px_solid_rgb:00ff00");
        assertThat(round.getWidth()).isEqualTo(208);
        assertThat(alpha(round, 0, 0)).isZero();
        Color top = new Color(round.getRGB(104, 1), true);
        assertThat(top.getGreen()).isGreaterThan(200);
        assertThat(top.getAlpha()).isEqualTo(255);
    }

    @Test
    void opacityScalesAlpha() throws Exception {
        BufferedImage half = png(photo, "w_100,o_50");
        assertThat(alpha(half, 50, 20)).isBetween(126, 129);
        BufferedImage none = png(photo, "w_100,o_0");
        assertThat(alpha(none, 50, 20)).isZero();
    }

    @Test
    void cropAtAPositionAndZoomed() throws Exception {
        BufferedImage source = decode(salient);
        BufferedImage region = png(salient, "c_crop,w_60,h_40,x_250,y_30");
        assertThat(region.getWidth()).isEqualTo(60);
        assertThat(region.getHeight()).isEqualTo(40);
        assertThat(Fixtures.meanDifference(region, source.getSubimage(250, 30, 60, 40))).isLessThan(1.0);
        // From the east edge with g_east: the same region, counted from the right.
        int fromRight = source.getWidth() - 250 - 60;
        BufferedImage east = png(salient, "c_crop,g_east,w_60,h_40,x_" + fromRight + ",y_30");
        assertThat(Fixtures.meanDifference(east, region)).isLessThan(1.0);
        // A fraction of the source's width.
        BufferedImage fraction = png(salient, "c_crop,w_10,h_10,x_0.5,y_0");
        assertThat(Fixtures.meanDifference(fraction, source.getSubimage(source.getWidth() / 2, 0, 10, 10)))
                .isLessThan(1.0);
        // Zoom 2: a 30×20 region shown at 60×40.
        RenderedImage zoomed = renderer.render(salient, chain("c_crop,w_60,h_40,x_250,y_30,z_2"), ImageFormat.PNG);
        assertThat(zoomed.width()).isEqualTo(60);
        assertThat(zoomed.height()).isEqualTo(40);
        // Past the edge the position is kept inside the image.
        RenderedImage edge = renderer.render(salient, chain("c_crop,w_60,h_40,x_100000,y_100000"), ImageFormat.PNG);
        assertThat(edge.width()).isEqualTo(60);
        RenderedImage thumb = renderer.render(photo, chain("c_thumb,w_100,h_100,z_2"), ImageFormat.PNG);
        assertThat(thumb.width()).isEqualTo(100);
        assertThat(thumb.height()).isEqualTo(100);
    }

    /** Found in review: each of these was a wrong size, a 422 or a silently ignored parameter. */
    @Test
    void edgeCasesOfZoomPixelateDprAndEarlierBackgrounds() throws Exception {
        RenderedImage zoomed = renderer.render(photo, chain("c_crop,w_301,h_301,z_2"), ImageFormat.PNG);
        assertThat(zoomed.width()).isEqualTo(301);
        assertThat(zoomed.height()).isEqualTo(301);
        RenderedImage thumb = renderer.render(photo, chain("c_thumb,w_1000,h_701,z_0.5"), ImageFormat.PNG);
        assertThat(thumb.width()).isEqualTo(1000);
        assertThat(thumb.height()).isEqualTo(701);
        RenderedImage enlarged = renderer.render(photo, chain("c_fill,g_auto,w_3000,h_900"), ImageFormat.PNG);
        assertThat(enlarged.width()).isEqualTo(3000);
        assertThat(enlarged.height()).isEqualTo(900);
        assertThat(renderer.render(photo, chain("c_fill,w_80,h_80,e_pixelate:200"), ImageFormat.PNG).width())
                .isEqualTo(80);
        // The DPR scales the first stage; a fraction in the next is of that result, not scaled again.
        assertThat(renderer.render(photo, chain("w_400/w_0.5/dpr_2.0"), ImageFormat.PNG).width()).isEqualTo(400);
        assertThat(renderer.render(photo, chain("w_400/c_fill,ar_1:1/dpr_2.0"), ImageFormat.PNG).width())
                .isEqualTo(450);
        // A stage's b_ is what its transparency is flattened onto, before the next stage.
        BufferedImage flattened = png(photo, "c_fill,w_100,h_100,r_max,b_black/e_sepia");
        Color corner = new Color(flattened.getRGB(0, 0), true);
        assertThat(corner.getAlpha()).isEqualTo(255);
        assertThat(corner.getRed() + corner.getGreen() + corner.getBlue()).isLessThan(30);
    }

    /** The page asked for is checked against the source-pixel limit, whatever the first page's size. */
    @Test
    void aLargeLaterPageIsRefused() throws Exception {
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("tiff").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            writer.writeToSequence(new IIOImage(new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB), null, null),
                    null);
            writer.writeToSequence(new IIOImage(new BufferedImage(1500, 1000, BufferedImage.TYPE_BYTE_GRAY), null,
                    null), null);
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        Renderer strict = new Renderer(new RenderLimits(1_000_000, 8192, 40_000_000, 2, java.time.Duration.ofSeconds(10)));
        assertThat(strict.render(bytes.toByteArray(), chain("w_5"), ImageFormat.PNG).width()).isEqualTo(5);
        assertThatThrownBy(() -> strict.render(bytes.toByteArray(), chain("w_5,pg_2"), ImageFormat.PNG))
                .isInstanceOf(RenderException.class).hasMessageContaining("page 2 has 1500000 pixels")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(422);
    }

    @Test
    void pageSelectsAFrame() throws Exception {
        byte[] gif = twoFrameGif();
        Color first = new Color(png(gif, "w_20").getRGB(10, 10));
        Color second = new Color(png(gif, "w_20/pg_2").getRGB(10, 10));
        assertThat(first.getRed()).isGreaterThan(200);
        assertThat(second.getBlue()).isGreaterThan(200);
        assertThat(second.getRed()).isLessThan(50);
        assertThatThrownBy(() -> renderer.render(gif, chain("pg_3"), ImageFormat.PNG))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("it has 2")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
    }

    @Test
    void everyStageIsBoundedByTheOutputLimits() {
        for (String stages : new String[] {"w_100/w_9000,h_9000,c_scale", "w_8192,bo_100px_solid_red",
            "w_6000,h_6000,c_scale,bo_1000px_solid_red/e_blur"}) {
            assertThatThrownBy(() -> renderer.render(photo, chain(stages), ImageFormat.JPEG))
                    .as(stages)
                    .isInstanceOf(RenderException.class)
                    .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
        }
    }

    /** A 40×30 GIF whose first frame is red and second blue, written by the JDK's encoder. */
    static byte[] twoFrameGif() throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (Color colour : new Color[] {Color.RED, Color.BLUE}) {
                BufferedImage frame = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
                var g = frame.createGraphics();
                g.setColor(colour);
                g.fillRect(0, 0, 40, 30);
                g.dispose();
                var metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
                writer.writeToSequence(new IIOImage(frame, null, metadata), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static int alpha(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) >>> 24;
    }

    private static double meanLuma(BufferedImage image) {
        double sum = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                Color c = new Color(image.getRGB(x, y));
                sum += 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
            }
        }
        return sum / (image.getWidth() * image.getHeight());
    }

    /** Mean of max − min channel: 0 for grey. */
    private static double meanChroma(BufferedImage image) {
        double sum = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                Color c = new Color(image.getRGB(x, y));
                sum += Math.max(c.getRed(), Math.max(c.getGreen(), c.getBlue()))
                        - Math.min(c.getRed(), Math.min(c.getGreen(), c.getBlue()));
            }
        }
        return sum / (image.getWidth() * image.getHeight());
    }
}
