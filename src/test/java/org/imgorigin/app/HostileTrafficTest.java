package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ordinary-looking URLs that cost a lot: each is answered within the render time limit plus
 * a second and a half, as JSON, and the worker it held serves the next request. The server
 * runs with a 2 s limit and one worker, so a request still encoding would hold up the next.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileTrafficTest {
    static final int TIMEOUT_SECONDS = 2;
    static final long ANSWER_WITHIN_MILLIS = TIMEOUT_SECONDS * 1000L + 1500;

    @TempDir
    static Path root;
    Server server;
    HttpClient http;
    String photo;

    @BeforeAll
    void start() throws Exception {
        photo = TestOrigin.store(root, "photo.jpg");
        server = TestOrigin.start(root, "IMGORIGIN_RENDER_TIMEOUT", Integer.toString(TIMEOUT_SECONDS),
                "IMGORIGIN_WORKERS", "1");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        // Warm up: class loading, libvips' loaders and encoders.
        for (String ext : new String[] {"jpg", "png", "webp", "avif", "gif", "jxl"}) {
            assertThat(get("/w_50/" + photo + "." + ext).statusCode()).isEqualTo(200);
        }
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        server.close();
    }

    /** 67 MP of padding around a 1200 px photo: refused from the plan, nothing decoded. */
    @ParameterizedTest
    @ValueSource(strings = {"avif", "webp", "png", "jpg", "gif", "jxl"})
    void anOutputCanvasOverThePixelLimitIs400AtOnce(String ext) throws Exception {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = get("/w_8192,h_8192,c_pad/" + photo + "." + ext);
        long millis = (System.nanoTime() - start) / 1_000_000;
        JsonObject json = jsonError(r, 400);
        assertThat(json.getString("error")).contains("IMGORIGIN_MAX_OUTPUT_PIXELS").contains("40000000");
        assertThat(millis).as("refused before decoding").isLessThan(1000);
        assertOrdinaryRequestServed();
    }

    /**
     * Outputs under the pixel limit that cost seconds: a 36 MP padded canvas and a 12 MP
     * scale in every format (AVIF, GIF, WebP and JPEG XL encode a whole frame out of the kill's reach),
     * and a strong blur. Each is answered (200, 400 naming the limit, or 503) within the
     * limit plus 1.5 s, and the one worker is free for the next request.
     */
    @ParameterizedTest
    @ValueSource(strings = {"w_6000,h_6000,c_pad", "w_4000,h_3000", "w_2400,h_1600", "w_3000,h_3000,e_blur:2000"})
    void costlyOutputsAreAnsweredWithinTheLimit(String transformation) throws Exception {
        for (String ext : new String[] {"avif", "gif", "webp", "jxl", "png", "jpg"}) {
            assertAnsweredWithinTheLimit("/" + transformation + "/" + photo + "." + ext, false);
        }
    }

    /**
     * Chains of stages and the Cloudinary parameters that cost the most (trimming, which reads
     * every pixel twice; rotation and later-stage trims, which hold a stage's image in memory;
     * masks and borders over a large canvas; two strong blurs in a row, the most a chain may
     * have; eight pixelations; a tenfold zoom): each is
     * answered within the same bound, and the worker is free afterwards.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "w_6000,h_6000,c_scale/e_trim/e_pixelate:1/r_max/bo_50px_solid_red",
        "w_5000,h_5000,c_pad,r_max/a_90/e_sepia/e_saturation:100/o_50",
        "e_blur:2000/e_blur:2000/w_6000",
        "e_pixelate:1/e_pixelate:2/e_pixelate:3/e_pixelate:4/e_pixelate:5/e_pixelate:6/e_pixelate:7/e_pixelate:8/w_6000",
        "c_crop,w_6000,h_6000,z_10,x_0.5,y_0.5",
        "e_trim/w_6000,h_6000,c_fill/e_trim:0/a_270/e_contrast:100"})
    void costlyChainsAreAnsweredWithinTheLimit(String transformation) throws Exception {
        for (String ext : new String[] {"png", "webp"}) {
            assertAnsweredWithinTheLimit("/image/upload/" + transformation + "/" + photo + "." + ext, true);
        }
    }

    /**
     * Layers at their most costly: five 36 MP layers on a 36 MP canvas, layers with the two
     * strong blurs a chain may have, text over its bound (refused before it is laid out) and
     * within it (eight lines of 20 W at 70 px, twice, then blurred), and a layer zoomed tenfold. Each is answered within
     * the same bound, and the worker is free afterwards.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "w_6000,h_6000,c_pad/l_{p},w_6000,h_6000,c_pad/l_{p},w_6000,h_6000,c_pad/l_{p},w_6000,h_6000,c_pad"
                + "/l_{p},w_6000,h_6000,c_pad/l_{p},w_6000,h_6000,c_pad",
        "w_4000/l_{p},e_blur:2000,w_3000,g_north_west/l_{p},e_blur:2000,w_3000,g_south_east",
        "w_6000,h_6000,c_pad/l_text:DejaVu%20Sans_400_bold:{text}",
        "w_6000,h_6000,c_pad/l_text:DejaVu%20Sans_70_bold:{text}/l_text:DejaVu%20Sans_70:{text}/e_blur:2000",
        "w_6000/l_{p}/c_crop,w_6000,h_6000,z_10/e_pixelate:1/fl_layer_apply,g_north_west"})
    void costlyLayersAreAnsweredWithinTheLimit(String transformation) throws Exception {
        String line = "W".repeat(20);
        String text = String.join("%0A", java.util.Collections.nCopies(8, line));
        for (String ext : new String[] {"png", "webp"}) {
            assertAnsweredWithinTheLimit("/" + transformation.replace("{p}", photo).replace("{text}", text) + "/"
                    + photo + "." + ext, true);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    /**
     * 200, or a 400/503 naming the time limit (or, where {@code outputLimit}, the output-pixel
     * limit), within the render limit and a grace; and the worker free afterwards.
     */
    void assertAnsweredWithinTheLimit(String path, boolean outputLimit) throws Exception {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = get(path);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("HostileTrafficTest: " + path.replace(photo, "<id>") + " " + r.statusCode() + " in "
                + millis + " ms");
        assertThat(r.statusCode()).as(path).isIn(200, 400, 503);
        if (r.statusCode() != 200) {
            String error = jsonError(r, r.statusCode()).getString("error");
            assertThat(error).as(path).containsAnyOf("IMGORIGIN_RENDER_TIMEOUT",
                    "longer than the limit of " + TIMEOUT_SECONDS + " s",
                    outputLimit ? "IMGORIGIN_MAX_OUTPUT_PIXELS" : "IMGORIGIN_RENDER_TIMEOUT");
        }
        assertThat(millis).as(path + " answered within the limit and a grace").isLessThan(ANSWER_WITHIN_MILLIS);
        assertOrdinaryRequestServed();
    }

    void assertOrdinaryRequestServed() throws Exception {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = get("/w_120/" + photo + ".webp");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - start) / 1_000_000).as("the worker was free").isLessThan(1500);
    }

    HttpResponse<byte[]> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(120)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonObject jsonError(HttpResponse<byte[]> r, int status) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as(body).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonObject json = new JsonObject(body);
        assertThat(json.getInteger("status")).isEqualTo(status);
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        return json;
    }
}
