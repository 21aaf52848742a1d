package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
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
        client = WebClient.create(vertx);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static long metric(Server server, String regex) {
        Matcher m = Pattern.compile(regex).matcher(server.metrics().scrape());
        long sum = 0;
        while (m.find()) {
            sum += (long) Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private HttpResponse<Buffer> get(Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(60, TimeUnit.SECONDS);
    }

    @Test
    void variantsWaitingTogetherShareOneDecodeAndAnswerAsRendersAlone() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        List<String> all = new ArrayList<>(SHARED);
        all.add(ALONE);
        List<byte[]> burst = new ArrayList<>();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_WORKERS", "1", "IMGORIGIN_RENDER_TIMEOUT", "3",
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(), "IMGORIGIN_MEMORY_CACHE_BYTES", "0")) {
            // Holds the one worker for its 3 s limit (an upscale blurred at the strongest setting).
            Future<HttpResponse<Buffer>> blocker =
                    client.get(server.port(), "127.0.0.1", "/c_scale,w_6000,h_6000,e_blur:2000/" + id + ".jpg").send();
            Thread.sleep(700); // it reaches the worker (its original is a local file); the burst queues behind it
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
            assertThat(metric(server, "(?m)^imgorigin_burst_decodes_total (\\S+)")).as("one shared decode")
                    .isEqualTo(1);
            // All four, unless one of them reached the worker before the blocker did (a loaded machine).
            assertThat(metric(server, "(?m)^imgorigin_burst_renders_total (\\S+)")).as("variants from it")
                    .isBetween((long) SHARED.size() - 1, (long) SHARED.size());
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
                double ssim = MezzanineTest.ssim(a, b);
                System.out.printf("burst %s: PSNR %.1f SSIM %.4f%n", t, psnr, ssim);
                assertThat(psnr).as(t + " PSNR").isGreaterThanOrEqualTo(40);
                assertThat(ssim).as(t + " SSIM").isGreaterThanOrEqualTo(0.99);
                if (t.equals(ALONE)) {
                    assertThat(burst.get(i)).as(t + ": rendered alone").isEqualTo(want);
                }
            }
        }
    }
}
