package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.imgorigin.url.Layer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlays ({@code l_}), text layers and the configured watermark, checked by the pixels of
 * what is served: where the layer lands, its opacity, its size relative to the image, effects
 * on it, the text's colour; and that purging a layer's image purges what drew it.
 */
class LayersTest {
    private static final String ADMIN = "layers-admin";

    @TempDir
    Path root;
    private Vertx vertx;
    private WebClient client;

    @BeforeEach
    void client() {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** A PNG of one colour; {@code alpha} 0-255. */
    static byte[] png(int width, int height, Color colour) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        var g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        var out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private String upload(Server server, byte[] bytes) throws Exception {
        HttpResponse<Buffer> answer = client.post(server.port(), "127.0.0.1", "/images").putHeader("Content-Type",
                "image/png").sendBuffer(Buffer.buffer(bytes)).await(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.bodyAsString()).isIn(200, 201);
        return answer.bodyAsJsonObject().getString("id");
    }

    private HttpResponse<Buffer> get(Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(30, TimeUnit.SECONDS);
    }

    private BufferedImage image(Server server, String path) throws Exception {
        HttpResponse<Buffer> answer = get(server, path);
        assertThat(answer.statusCode()).as(path + ": " + answer.bodyAsString()).isEqualTo(200);
        return ImageIO.read(new ByteArrayInputStream(answer.body().getBytes()));
    }

    private static void assertPixel(BufferedImage image, int x, int y, int r, int g, int b) {
        Color c = new Color(image.getRGB(x, y), true);
        assertThat(new int[] {c.getRed(), c.getGreen(), c.getBlue()}).as("pixel at " + x + "," + y)
                .satisfies(rgb -> {
                    assertThat(Math.abs(rgb[0] - r)).isLessThanOrEqualTo(3);
                    assertThat(Math.abs(rgb[1] - g)).isLessThanOrEqualTo(3);
                    assertThat(Math.abs(rgb[2] - b)).isLessThanOrEqualTo(3);
                });
    }

    @Test
    void overlaysLandWhereTheyArePlacedWithTheirOpacitySizeAndEffects() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            String base = upload(server, png(400, 300, Color.WHITE));
            String logo = upload(server, png(40, 20, Color.RED));

            // South-east, 10 px from the right and 5 from the bottom: x 350-389, y 275-294.
            BufferedImage corner = image(server, "/l_" + logo + ",g_south_east,x_10,y_5/" + base + ".png");
            assertThat(corner.getWidth()).isEqualTo(400);
            assertPixel(corner, 351, 276, 255, 0, 0);
            assertPixel(corner, 388, 293, 255, 0, 0);
            assertPixel(corner, 349, 280, 255, 255, 255);
            assertPixel(corner, 391, 280, 255, 255, 255);
            assertPixel(corner, 360, 296, 255, 255, 255);
            assertPixel(corner, 360, 273, 255, 255, 255);

            // Cloudinary's spread-out form, as @cloudinary/url-gen writes it, after a resize of the base.
            BufferedImage spread = image(server, "/image/upload/c_scale,w_200/l_" + logo
                    + "/c_scale,w_20/o_50/fl_layer_apply,g_north_west,x_10,y_10/" + base + ".png");
            assertThat(spread.getWidth()).isEqualTo(200);
            assertPixel(spread, 15, 12, 255, 128, 128); // half red over white
            assertPixel(spread, 31, 12, 255, 255, 255); // the layer is 20 px wide
            assertPixel(spread, 15, 21, 255, 255, 255); // and 10 high

            // fl_relative: half the base's width, so 200 × 100, at the centre.
            BufferedImage relative = image(server, "/fl_relative,l_" + logo + ",w_0.5/" + base + ".png");
            assertPixel(relative, 101, 101, 255, 0, 0);
            assertPixel(relative, 298, 198, 255, 0, 0);
            assertPixel(relative, 98, 150, 255, 255, 255);
            assertPixel(relative, 302, 150, 255, 255, 255);

            // An effect on the layer: negated red is cyan. A negative offset moves out of the image.
            BufferedImage negated = image(server, "/l_" + logo + "/e_negate/fl_layer_apply,g_north_west,x_-10/"
                    + base + ".png");
            assertPixel(negated, 5, 5, 0, 255, 255);
            assertPixel(negated, 31, 5, 255, 255, 255);

            // A JPEG base stays opaque, and the layer's alpha is honoured over it.
            HttpResponse<Buffer> jpeg = get(server, "/l_" + logo + ",o_40/" + base + ".jpg");
            assertThat(jpeg.statusCode()).isEqualTo(200);
            assertThat(jpeg.getHeader("Content-Type")).isEqualTo("image/jpeg");
            // Both images are in the Surrogate-Key: purging either at the CDN takes it.
            assertThat(jpeg.getHeader("Surrogate-Key").split(" ")).containsExactlyInAnyOrder(base, logo);
        }
    }

    @Test
    void anAnimationKeepsItsFramesEachWithTheLayer() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            HttpResponse<Buffer> uploaded = client.post(server.port(), "127.0.0.1", "/images")
                    .putHeader("Content-Type", "image/gif")
                    .sendBuffer(Buffer.buffer(org.imgorigin.render.Animations.flatGif(120, 80, 4)))
                    .await(30, TimeUnit.SECONDS);
            assertThat(uploaded.statusCode()).as(uploaded.bodyAsString()).isIn(200, 201);
            String gif = uploaded.bodyAsJsonObject().getString("id");
            String logo = upload(server, png(20, 20, Color.RED));
            for (String ext : new String[] {"gif", "webp"}) {
                HttpResponse<Buffer> answer = get(server, "/l_" + logo + ",g_north_west/" + gif + "." + ext);
                assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
                var read = org.imgorigin.render.Animations.read(answer.body().getBytes());
                assertThat(read.frames()).as(ext).isEqualTo(4);
                assertThat(read.width()).isEqualTo(120);
            }
            BufferedImage first = ImageIO.read(new ByteArrayInputStream(get(server, "/l_" + logo + ",g_north_west/"
                    + gif + ".gif").body().getBytes()));
            assertPixel(first, 5, 5, 255, 0, 0);
        }
    }

    @Test
    void textIsDrawnInItsColourAndBounded() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            String base = upload(server, png(400, 200, Color.WHITE));
            BufferedImage text = image(server, "/co_rgb:0000ff,l_text:DejaVu%20Sans_40_bold:Hi%252C%20%C3%BC/"
                    + "fl_layer_apply,g_north_west,x_5,y_5/" + base + ".png");
            int blue = 0;
            int other = 0;
            for (int y = 0; y < text.getHeight(); y++) {
                for (int x = 0; x < text.getWidth(); x++) {
                    Color c = new Color(text.getRGB(x, y));
                    boolean white = c.getRed() > 250 && c.getGreen() > 250 && c.getBlue() > 250;
                    if (white) {
                        continue;
                    }
                    if (c.getBlue() > 200 && c.getRed() < 60 && c.getGreen() < 60) {
                        blue++;
                        assertThat(x).isBetween(5, 5 + 200);
                        assertThat(y).isBetween(5, 5 + 60);
                    }
                    // Anti-aliased edges are blue over white: full blue, red and green equal.
                    if (c.getBlue() < 250 || Math.abs(c.getRed() - c.getGreen()) > 3) {
                        other++;
                    }
                }
            }
            assertThat(blue).as("solid blue pixels of the text").isGreaterThan(300);
            assertThat(other).isZero();

            ServeImagesContract.assertJsonError(get(server, "/l_text:Arial_20:" + "a".repeat(Layer.MAX_TEXT + 1) + "/"
                    + base + ".png"), 400, "characters");
            // 200 characters at 400 px could be 80,000 px wide: refused before Pango lays it out.
            ServeImagesContract.assertJsonError(get(server, "/l_text:Arial_400:" + "W".repeat(Layer.MAX_TEXT) + "/"
                    + base + ".png"), 400, "text layer");
            // Markup is text: <b>&amp; is drawn, not read as Pango markup.
            assertThat(get(server, "/l_text:Arial_20:%3Cb%3E%26amp;/" + base + ".png").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aMissingLayerIsA404ThatNoDefaultImageHides() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            String base = upload(server, png(100, 100, Color.WHITE));
            String nowhere = "0123456789abcdef0123456789abcdef01234567";
            ServeImagesContract.assertJsonError(get(server, "/l_" + nowhere + "/" + base + ".png"), 404, "layer");
            ServeImagesContract.assertJsonError(get(server, "/d_" + base + ",l_" + nowhere + "/" + base + ".png"), 404,
                    "layer");
            String layers = String.join("/", java.util.Collections.nCopies(Layer.MAX_LAYERS + 1, "l_" + base));
            ServeImagesContract.assertJsonError(get(server, "/" + layers + "/" + base + ".png"), 400, "layers");
            assertThat(get(server, "/w_50/" + base + ".png").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void purgingALayerPurgesWhatDrewItAlsoAfterARestart() throws Exception {
        String base;
        String logo;
        String composite;
        try (Server server = TestOrigin.start(root, "IMGORIGIN_ADMIN_TOKEN", ADMIN)) {
            base = upload(server, png(300, 200, Color.WHITE));
            logo = upload(server, png(30, 30, Color.RED));
            composite = "/w_200/l_" + logo + ",g_north_east/" + base + ".png";
            assertThat(get(server, composite).getHeader("X-Cache")).isEqualTo("MISS");
            assertThat(get(server, composite).getHeader("X-Cache")).isNotEqualTo("MISS");
            purge(server, logo);
            assertThat(get(server, composite).getHeader("X-Cache")).isEqualTo("MISS");
        }
        // On disk, across a restart: the record of what drew the logo survives with the variant.
        try (Server server = TestOrigin.start(root, "IMGORIGIN_ADMIN_TOKEN", ADMIN)) {
            assertThat(get(server, composite).getHeader("X-Cache")).isNotEqualTo("MISS");
            purge(server, logo);
            assertThat(get(server, composite).getHeader("X-Cache")).isEqualTo("MISS");
            // Deleting the layer's image: what drew it is gone, and asking again is a 404 naming the layer,
            // also for a client revalidating the copy it holds.
            String etag = get(server, composite).getHeader("ETag");
            var deleted = client.delete(server.port(), "127.0.0.1", "/images/" + logo).bearerTokenAuthentication(ADMIN)
                    .send().await(30, TimeUnit.SECONDS);
            assertThat(deleted.statusCode()).isEqualTo(204);
            ServeImagesContract.assertJsonError(get(server, composite), 404, "layer");
            ServeImagesContract.assertJsonError(client.get(server.port(), "127.0.0.1", composite)
                    .putHeader("If-None-Match", etag).send().await(30, TimeUnit.SECONDS), 404, "layer");
            assertThat(get(server, "/w_200/" + base + ".png").statusCode()).isEqualTo(200);
        }
    }

    private void purge(Server server, String id) throws Exception {
        var purged = client.post(server.port(), "127.0.0.1", "/admin/purge/" + id).bearerTokenAuthentication(ADMIN)
                .send().await(30, TimeUnit.SECONDS);
        assertThat(purged.statusCode()).isEqualTo(200);
    }

    @Test
    void theConfiguredWatermarkMarksEveryVariantButUnmarkedPresets() throws Exception {
        String base;
        String mark;
        try (Server server = TestOrigin.start(root)) {
            base = upload(server, png(400, 300, Color.WHITE));
            mark = upload(server, png(40, 40, Color.BLUE));
        }
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WATERMARK", "l_" + mark + ",g_south_east,w_0.1,fl_relative,o_50",
                "IMGORIGIN_PRESETS", "thumb=c_fill,w_100,h_100", "IMGORIGIN_WATERMARK_SKIP_PRESETS", "thumb")) {
            // A tenth of the width, in the corner, at half opacity: blue over white.
            BufferedImage resized = image(server, "/w_200/" + base + ".png");
            assertPixel(resized, 195, 145, 128, 128, 255);
            assertPixel(resized, 175, 145, 255, 255, 255);
            BufferedImage asIs = image(server, "/" + base + ".png");
            assertPixel(asIs, 390, 290, 128, 128, 255);
            assertPixel(image(server, "/f_png,q_80/" + base), 390, 290, 128, 128, 255);
            // The unmarked preset as it is: no mark. Changed, it is marked.
            assertPixel(image(server, "/t_thumb/" + base + ".png"), 95, 95, 255, 255, 255);
            assertPixel(image(server, "/t_thumb,w_200/" + base + ".png"), 195, 95, 128, 128, 255);
            assertThat(get(server, "/w_200/" + base + ".png").getHeader("Surrogate-Key").split(" "))
                    .containsExactlyInAnyOrder(base, mark);
            // w_auto is resolved from the client's hints first, then the watermark is drawn.
            HttpResponse<Buffer> hinted = client.get(server.port(), "127.0.0.1", "/c_limit,w_auto:300/" + base + ".png")
                    .putHeader("Sec-CH-Width", "200").send().await(30, TimeUnit.SECONDS);
            assertThat(hinted.statusCode()).as(hinted.bodyAsString()).isEqualTo(200);
            BufferedImage auto = ImageIO.read(new ByteArrayInputStream(hinted.body().getBytes()));
            assertThat(auto.getWidth()).isLessThan(400);
            assertPixel(auto, auto.getWidth() - 3, auto.getHeight() - 3, 128, 128, 255);
        }
    }
}
