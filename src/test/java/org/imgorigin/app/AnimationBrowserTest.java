package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.imgorigin.render.Animations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An animated GIF uploaded to imgorigin plays in a browser: headless Chromium loads a page from
 * another loopback origin whose {@code <img>} tags ask for the animation resized, as animated
 * WebP and as GIF, and a still JPEG of it as a control. What Chromium paints is sampled
 * several times over about two cycles of the animation; each animated image must show at
 * least two different pictures (the frames slide across a photo), the JPEG one only.
 *
 * <p>The samples are screenshots of the painted page (Chrome DevTools' {@code
 * Page.captureScreenshot}, clipped to the images), not a canvas: imgorigin sends no {@code
 * Access-Control-Allow-Origin}, so a canvas that draws one of its images from another origin is
 * tainted and {@code getImageData} throws (checked below, so that this test says so if that
 * changes). Screenshots are what a visitor sees. Skipped without chromium and chromium-driver.
 */
class AnimationBrowserTest {
    /** Frames of the test animation, each shown 150 ms: a 600 ms cycle, looping for ever. */
    private static final int[] DELAYS_CS = {15, 15, 15, 15};
    private static final int WIDTH = 200;
    private static final int HEIGHT = 150;
    private static final int GAP = 10;

    @TempDir
    Path root;

    @Test
    void chromiumPlaysAnimatedWebpAndGifFromAnotherOrigin() throws Exception {
        assumeTrue(ChromiumDriver.available(), "chromium and chromium-driver are not installed");
        byte[] gif = Animations.slidingGif(ServeImagesContract.fixture("photo.jpg"), 400, 300, DELAYS_CS, 0);
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            HttpResponse<Buffer> upload = client.post(server.port(), "127.0.0.1", "/images")
                    .putHeader("Content-Type", "image/gif").sendBuffer(Buffer.buffer(gif)).await(30, TimeUnit.SECONDS);
            assertThat(upload.statusCode()).as(upload.bodyAsString()).isEqualTo(201);
            String id = upload.bodyAsJsonObject().getString("id");
            String images = "http://127.0.0.1:" + server.port();
            // Side by side at fixed places, so that one clipped screenshot holds all three.
            String page = """
                    <!doctype html><html><head><style>
                    body { margin: 0; background: #fff; }
                    img { position: absolute; top: 0; width: %3$dpx; height: %4$dpx; }
                    </style></head><body>
                    <img id="webp" style="left: 0" src="%1$s/w_%3$d/%2$s.webp">
                    <img id="gif" style="left: %5$dpx" src="%1$s/w_%3$d/%2$s.gif">
                    <img id="still" style="left: %6$dpx" src="%1$s/w_%3$d/%2$s.jpg">
                    </body></html>
                    """.formatted(images, id, WIDTH, HEIGHT, WIDTH + GAP, 2 * (WIDTH + GAP));
            HttpServer site = vertx.createHttpServer()
                    .requestHandler(r -> r.response().putHeader("Content-Type", "text/html; charset=utf-8").end(page))
                    .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            try (ChromiumDriver browser = ChromiumDriver.start(root, true)) {
                browser.navigate("http://127.0.0.1:" + site.actualPort() + "/");
                JsonObject loaded = awaitImages(browser);
                assertThat(loaded.getString("webp")).as(loaded.encode()).isEqualTo(WIDTH + "x" + HEIGHT);
                assertThat(loaded.getString("gif")).as(loaded.encode()).isEqualTo(WIDTH + "x" + HEIGHT);
                assertThat(loaded.getString("still")).as(loaded.encode()).isEqualTo(WIDTH + "x" + HEIGHT);
                assertThat(canvasReadback(browser)).as("a canvas drawing imgorigin's image from another origin")
                        .isEqualTo("SecurityError");

                // 12 samples about 100 ms apart (plus the screenshot's own time): two cycles or more.
                Map<String, List<int[]>> samples = Map.of("webp", new ArrayList<>(), "gif", new ArrayList<>(),
                        "still", new ArrayList<>());
                for (int i = 0; i < 12; i++) {
                    BufferedImage shot = screenshot(browser);
                    samples.get("webp").add(pixels(shot, 0));
                    samples.get("gif").add(pixels(shot, WIDTH + GAP));
                    samples.get("still").add(pixels(shot, 2 * (WIDTH + GAP)));
                    Thread.sleep(100);
                }
                assertThat(distinctPictures(samples.get("still"))).as("pictures of the still JPEG").isEqualTo(1);
                assertThat(distinctPictures(samples.get("webp"))).as("pictures of the animated WebP").isGreaterThanOrEqualTo(2);
                assertThat(distinctPictures(samples.get("gif"))).as("pictures of the animated GIF").isGreaterThanOrEqualTo(2);
            } finally {
                site.close().await(10, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Waits until the three images have loaded; their natural sizes, or "error". */
    private static JsonObject awaitImages(ChromiumDriver browser) throws Exception {
        String script = """
                const state = {};
                let done = true;
                for (const img of document.images) {
                  if (!img.complete) done = false;
                  state[img.id] = img.naturalWidth > 0 ? img.naturalWidth + 'x' + img.naturalHeight : 'error';
                }
                state.done = done;
                return state;
                """;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            JsonObject state = (JsonObject) browser.execute(script);
            if (state.getBoolean("done") || System.nanoTime() > deadline) {
                assertThat(state.getBoolean("done")).as("images loaded: " + state.encode()).isTrue();
                return state;
            }
            Thread.sleep(50);
        }
    }

    /** The error a canvas gives when read after drawing the WebP, or "readable". */
    private static String canvasReadback(ChromiumDriver browser) throws Exception {
        return (String) browser.execute("""
                const img = document.getElementById('webp');
                const canvas = document.createElement('canvas');
                canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
                const context = canvas.getContext('2d');
                context.drawImage(img, 0, 0);
                try { context.getImageData(0, 0, 1, 1); return 'readable'; } catch (e) { return e.name; }
                """);
    }

    /** What the page shows where the images are, at one device pixel per CSS pixel. */
    private static BufferedImage screenshot(ChromiumDriver browser) throws Exception {
        JsonObject clip = new JsonObject().put("x", 0).put("y", 0).put("width", 3 * WIDTH + 2 * GAP)
                .put("height", HEIGHT).put("scale", 1);
        JsonObject shot = (JsonObject) browser.devTools("Page.captureScreenshot",
                new JsonObject().put("format", "png").put("clip", clip));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(shot.getString("data"))));
        assertThat(image.getWidth()).isEqualTo(3 * WIDTH + 2 * GAP);
        assertThat(image.getHeight()).isEqualTo(HEIGHT);
        return image;
    }

    private static int[] pixels(BufferedImage shot, int left) {
        return shot.getRGB(left, 0, WIDTH, HEIGHT, null, 0, WIDTH);
    }

    /**
     * How many different pictures the samples hold: two samples are the same picture when
     * their pixels differ by less than 2 levels per channel on average (a repaint of one frame
     * is exact; consecutive frames of the sliding photo differ by tens of levels).
     */
    private static int distinctPictures(List<int[]> samples) {
        List<int[]> pictures = new ArrayList<>();
        for (int[] sample : samples) {
            if (pictures.stream().noneMatch(p -> meanDifference(p, sample) < 2)) {
                pictures.add(sample);
            }
        }
        return pictures.size();
    }

    private static double meanDifference(int[] a, int[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                sum += Math.abs(((a[i] >> shift) & 0xFF) - ((b[i] >> shift) & 0xFF));
            }
        }
        return sum / (3.0 * a.length);
    }
}
