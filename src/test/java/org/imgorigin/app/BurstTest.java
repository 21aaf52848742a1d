package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.imgorigin.render.ImageDistance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of requests for several variants of one original, waiting for a worker together,
 * shares one decode, black-box: with one worker held by a render that runs into its time
 * limit, five variants of a photo are asked for at once; when the worker frees, one decode
 * serves the four the shared decode covers ({@code imgorigin_burst_*}), the fifth
 * ({@code a_ignore}) renders alone, and every answer has the dimensions of the same URL on a
 * server that renders each alone, its pixels within PSNR 40 dB / luma SSIM 0.99 (PNG), and is
 * cached like any render.
 */
class BurstTest {
    static final List<String> SHARED = List.of("w_300", "w_480,h_300,c_fill", "w_200,h_200,c_thumb,g_auto",
            "w_640,e_grayscale");
    static final String ALONE = "a_ignore,w_350";

    @TempDir
    Path root;
    Vertx vertx;
    WebClient client;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        // A connection for every request at once (the default pool holds 5).
        client = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(16));
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private HttpResponse<Buffer> get(Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(60, TimeUnit.SECONDS);
    }

    /**
     * Holds a server's one worker for its 3 s limit (an upscale of {@code id} blurred at the
     * strongest setting, which no burst shares), once it is running.
     */
    private Future<HttpResponse<Buffer>> holdTheWorker(Server server, String id) throws Exception {
        Future<HttpResponse<Buffer>> blocker =
                client.get(server.port(), "127.0.0.1", "/c_scale,w_6000,h_6000,e_blur:2000/" + id + ".jpg").send();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Pattern.compile("(?m)^imgorigin_renders_running 1(\\.0)?$").matcher(server.metrics().scrape()).find()) {
            assertThat(System.nanoTime()).as("the blocker reached the worker").isLessThan(deadline);
            Thread.sleep(20);
        }
        return blocker;
    }

    /** Waits until {@code count} renders wait for the worker. */
    private static void awaitQueued(Server server, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Pattern queued = Pattern.compile("(?m)^imgorigin_renders_queued " + count + "(\\.0)?$");
        while (!queued.matcher(server.metrics().scrape()).find()) {
            assertThat(System.nanoTime()).as(count + " renders waiting").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void variantsWaitingTogetherShareOneDecodeAndAnswerAsRendersAlone() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        List<String> all = new ArrayList<>(SHARED);
        all.add(ALONE);
        List<byte[]> burst = new ArrayList<>();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WORKERS", "1", "IMGORIGIN_RENDER_TIMEOUT", "3",
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(), "IMGORIGIN_MEMORY_CACHE_BYTES", "0")) {
            Future<HttpResponse<Buffer>> blocker = holdTheWorker(server, id);
            List<Future<HttpResponse<Buffer>>> asked = new ArrayList<>();
            for (String t : all) {
                asked.add(client.get(server.port(), "127.0.0.1", "/" + t + "/" + id + ".png").send());
            }
            assertThat(blocker.await(60, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<Buffer> r = asked.get(i).await(60, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(all.get(i)).isEqualTo(200);
                burst.add(r.body().getBytes());
            }
            assertThat(TestOrigin.metric(server, "(?m)^imgorigin_burst_decodes_total (\\S+)")).as("one shared decode")
                    .isEqualTo(1);
            assertThat(TestOrigin.metric(server, "(?m)^imgorigin_burst_renders_total (\\S+)")).as("variants from it")
                    .isEqualTo(SHARED.size());
            for (String t : all) {
                assertThat(get(server, "/" + t + "/" + id + ".png").getHeader("X-Cache")).as(t + " kept")
                        .isEqualTo("HIT-DISK");
            }
        }
        try (Server alone = TestOrigin.start(root, "IMGORIGIN_CACHE_DIR", root.resolve("alone").toString())) {
            for (int i = 0; i < all.size(); i++) {
                String t = all.get(i);
                byte[] want = get(alone, "/" + t + "/" + id + ".png").body().getBytes();
                BufferedImage a = ImageIO.read(new ByteArrayInputStream(burst.get(i)));
                BufferedImage b = ImageIO.read(new ByteArrayInputStream(want));
                assertThat(a.getWidth() + "x" + a.getHeight()).as(t).isEqualTo(b.getWidth() + "x" + b.getHeight());
                double psnr = ImageDistance.psnr(a, b);
                double ssim = ImageDistance.ssim(a, b);
                System.out.printf("burst %s: PSNR %.1f SSIM %.4f%n", t, psnr, ssim);
                assertThat(psnr).as(t + " PSNR").isGreaterThanOrEqualTo(40);
                assertThat(ssim).as(t + " SSIM").isGreaterThanOrEqualTo(0.99);
                if (t.equals(ALONE)) {
                    assertThat(burst.get(i)).as(t + ": rendered alone").isEqualTo(want);
                }
            }
        }
    }
    /**
     * Renders of one id read before and after a purge are not taken together: the original was
     * replaced in the store (a takedown), and the render asked for after the purge must show the
     * new one, not pixels of the bytes another waiting render read before it (which, kept under
     * the later render's ticket, would outlive the purge).
     */
    @Test
    void aPurgeKeepsRendersOfTheOldAndTheNewOriginalApart() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg"); // 1200x675
        Path file;
        try (var files = java.nio.file.Files.walk(root.resolve("originals"))) {
            file = files.filter(f -> f.getFileName().toString().equals(id)).findFirst().orElseThrow();
        }
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WORKERS", "1", "IMGORIGIN_RENDER_TIMEOUT", "3",
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(), "IMGORIGIN_MEMORY_CACHE_BYTES", "0",
                "IMGORIGIN_ADMIN_TOKEN", "burst-test")) {
            Future<HttpResponse<Buffer>> blocker = holdTheWorker(server, id);
            Future<HttpResponse<Buffer>> before = client.get(server.port(), "127.0.0.1", "/w_300/" + id + ".png").send();
            awaitQueued(server, 1); // its original read, and waiting for the worker
            java.nio.file.Files.write(file, ServeImagesContract.fixture("astronaut.jpg")); // 512x512
            assertThat(client.post(server.port(), "127.0.0.1", "/admin/purge/" + id).bearerTokenAuthentication("burst-test")
                    .send().await(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            Future<HttpResponse<Buffer>> after = client.get(server.port(), "127.0.0.1", "/w_400/" + id + ".png").send();
            awaitQueued(server, 2); // both wait while the blocker runs: a burst could take them together
            assertThat(blocker.isComplete()).as("the blocker still holds the worker").isFalse();
            assertThat(blocker.await(60, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            HttpResponse<Buffer> old = before.await(60, TimeUnit.SECONDS);
            HttpResponse<Buffer> now = after.await(60, TimeUnit.SECONDS);
            assertThat(old.statusCode()).isEqualTo(200);
            assertThat(now.statusCode()).isEqualTo(200);
            BufferedImage a = ImageIO.read(new ByteArrayInputStream(old.body().getBytes()));
            BufferedImage b = ImageIO.read(new ByteArrayInputStream(now.body().getBytes()));
            // Read before the purge, it is made again from what is there now (README: a render in
            // flight during a purge keeps nothing).
            assertThat(a.getWidth() + "x" + a.getHeight()).as("read before the purge").isEqualTo("300x300");
            assertThat(b.getWidth() + "x" + b.getHeight()).as("read after it: the new original").isEqualTo("400x400");
        }
    }
}
