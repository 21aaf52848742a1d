package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.imgorigin.render.ImageDistance;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.vips.Vips;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload's eager variants from one decode of the original, black-box: after an upload to a
 * server with {@code IMGORIGIN_EAGER}, every eager variant is in the cache with the dimensions
 * of the same variant rendered on request by a server without eager variants (or
 * mezzanines), and its pixels within PSNR 40 dB / luma SSIM 0.99 of it (lossless PNG
 * outputs); {@code imgorigin_eager_decodes_total} counts one decode, and only the variants
 * the shared decode does not cover ({@code e_trim}, {@code a_ignore} first) were rendered
 * alone.
 */
class EagerSharedDecodeTest {
    static final List<String> SHARED = List.of("w_300", "w_500", "w_640,h_480,c_fill", "w_200,h_200,c_thumb,g_auto",
            "c_crop,w_300,h_200,x_400,y_150,z_0.5", "w_500,h_100,c_pad,b_red", "w_333,e_grayscale,r_20");
    static final List<String> ALONE = List.of("e_trim,w_400", "a_ignore,w_300");

    @TempDir
    Path root;
    Vertx vertx;
    WebClient client;
    byte[] upload;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        byte[] photo = ServeImagesContract.fixture("photo.jpg");
        // Made distinct from the fixture, so that it is a new upload (eager variants are made for those).
        upload = Arrays.copyOf(photo, photo.length + 5);
        System.arraycopy("eager".getBytes(StandardCharsets.US_ASCII), 0, upload, photo.length, 5);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private Server start(String dir, String... extra) throws Exception {
        String[] base = {"IMGORIGIN_CACHE_DIR", root.resolve(dir).toString(), "IMGORIGIN_MEMORY_CACHE_BYTES", "0", "IMGORIGIN_MEZZANINE", "0"};
        return TestOrigin.start(root, java.util.stream.Stream.concat(java.util.Arrays.stream(base),
                java.util.Arrays.stream(extra)).toArray(String[]::new));
    }

    private HttpResponse<Buffer> get(Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(60, TimeUnit.SECONDS);
    }

    private static long renders(Server server) {
        return TestOrigin.metric(server, "(?m)^imgorigin_render_duration_seconds_count\\{[^}]*outcome=\"ok\"[^}]*} (\\S+)");
    }

    @Test
    void everyEagerVariantComesFromOneDecodeAsARenderOnRequestWouldBe() throws Exception {
        StringBuilder eager = new StringBuilder();
        for (String t : SHARED) {
            eager.append("f_png,").append(t).append(';');
        }
        for (String t : ALONE) {
            eager.append("f_png,").append(t).append(';');
        }
        eager.append("w_320"); // the original's format, WebP, AVIF (and JPEG XL where libvips writes it)
        List<String> lossy = Vips.writesJpegXl() ? List.of("jpg", "webp", "avif", "jxl") : List.of("jpg", "webp", "avif");
        int total = SHARED.size() + ALONE.size() + lossy.size();
        String id;
        try (Server server = start("cache", "IMGORIGIN_EAGER", eager.toString())) {
            var created = client.post(server.port(), "127.0.0.1", "/images").putHeader("Content-Type", "image/jpeg")
                    .sendBuffer(Buffer.buffer(upload)).await(60, TimeUnit.SECONDS);
            assertThat(created.statusCode()).isEqualTo(201);
            id = created.bodyAsJsonObject().getString("id");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (TestOrigin.metric(server, "(?m)^imgorigin_eager_renders_total\\{outcome=\"ok\"} (\\S+)") < total) {
                assertThat(TestOrigin.metric(server, "(?m)^imgorigin_eager_renders_total\\{outcome=\"failed\"} (\\S+)")).isZero();
                assertThat(System.nanoTime()).as("eager variants rendered").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(TestOrigin.metric(server, "(?m)^imgorigin_eager_decodes_total (\\S+)")).as("one shared decode").isEqualTo(1);
            assertThat(renders(server)).isEqualTo(total);

            try (Server direct = start("direct")) {
                Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
                for (String t : concat(SHARED, ALONE)) {
                    String url = "/" + t + "/" + id + ".png";
                    byte[] got = get(server, url).body().getBytes();
                    byte[] want = get(direct, url).body().getBytes();
                    BufferedImage a = ImageIO.read(new ByteArrayInputStream(got));
                    BufferedImage b = ImageIO.read(new ByteArrayInputStream(want));
                    assertThat(a.getWidth() + "x" + a.getHeight()).as(t).isEqualTo(b.getWidth() + "x" + b.getHeight());
                    System.out.printf("eager %s: PSNR %.1f SSIM %.4f%n", t, ImageDistance.psnr(a, b),
                            ImageDistance.ssim(a, b));
                    assertThat(ImageDistance.psnr(a, b)).as(t + " PSNR").isGreaterThanOrEqualTo(40);
                    assertThat(ImageDistance.ssim(a, b)).as(t + " SSIM").isGreaterThanOrEqualTo(0.99);
                    if (ALONE.contains(t)) {
                        assertThat(got).as(t + ": rendered alone, as on request").isEqualTo(want);
                    }
                }
                for (String format : lossy) {
                    String url = "/w_320/" + id + "." + format;
                    if (format.equals("jxl")) { // written, not read: made in the cache all the same
                        assertThat(get(server, url).statusCode()).isEqualTo(200);
                        continue;
                    }
                    SourceInfo a = renderer.inspect(get(server, url).body().getBytes());
                    SourceInfo b = renderer.inspect(get(direct, url).body().getBytes());
                    assertThat(a.width() + "x" + a.height()).as(url).isEqualTo(b.width() + "x" + b.height());
                }
            }
            assertThat(renders(server)).as("every eager variant was in the cache").isEqualTo(total);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
