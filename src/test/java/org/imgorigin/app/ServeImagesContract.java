package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * End to end over HTTP: a real server on loopback, its originals in a real store, asked by
 * Vert.x's Web Client. Subclasses provide the store (a folder, an S3 protocol server).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServeImagesContract {
    static final Renderer INSPECTOR = new Renderer(RenderLimits.DEFAULTS);

    Vertx vertx;
    WebClient client;
    Server server;
    java.nio.file.Path cacheDir;
    OriginalStore seed;
    String photo;
    String alpha;

    /** Environment for the server (originals location and credentials); port and workers are added. */
    abstract Map<String, String> storeEnvironment() throws Exception;

    /** A store over the same originals, to put test images in. */
    abstract OriginalStore seedStore() throws Exception;

    @BeforeAll
    void start() throws Exception {
        Map<String, String> env = new HashMap<>(storeEnvironment());
        cacheDir = java.nio.file.Files.createTempDirectory("imgorigin-cache");
        env.put("IMGORIGIN_CACHE_DIR", cacheDir.toString());
        env.put("IMGORIGIN_PORT", "0");
        env.put("IMGORIGIN_WORKERS", "2");
        env.put("IMGORIGIN_PRESETS", "thumb=c_fill,w_150,h_150");
        server = Server.start(Config.fromEnv(env));
        seed = seedStore();
        photo = put(fixture("photo.jpg"), "image/jpeg");
        alpha = put(fixture("alpha.png"), "image/png");
        vertx = Vertx.vertx();
        client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        if (seed != null) {
            seed.close();
        }
        if (cacheDir != null) {
            // A test leaves nothing behind in /tmp.
            try (var files = java.nio.file.Files.walk(cacheDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    String put(byte[] bytes, String contentType) throws Exception {
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        seed.put(new ImageId(id), bytes, contentType);
        return id;
    }

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = ServeImagesContract.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }

    HttpResponse<Buffer> get(String path, String... headers) throws Exception {
        return send(HttpMethod.GET, path, headers);
    }

    HttpResponse<Buffer> send(HttpMethod method, String path, String... headers) throws Exception {
        var request = client.request(method, path);
        for (int i = 0; i < headers.length; i += 2) {
            request.putHeader(headers[i], headers[i + 1]);
        }
        return request.send().await(60, TimeUnit.SECONDS);
    }

    static SourceInfo inspect(HttpResponse<Buffer> response) throws Exception {
        return INSPECTOR.inspect(response.body().getBytes());
    }

    static void assertJsonError(HttpResponse<Buffer> response, int status, String... fragments) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.getHeader("Content-Type")).startsWith("application/json");
        JsonObject body = response.bodyAsJsonObject();
        assertThat(body.getInteger("status")).isEqualTo(status);
        for (String fragment : fragments) {
            assertThat(body.getString("error")).contains(fragment);
        }
        assertThat(response.bodyAsString()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(response.getHeader("Cache-Control")).isEqualTo(status == 404 ? "public, max-age=60" : "no-store");
    }

    @Test
    void servesAResizedWebpWithTheSpecHeaders() throws Exception {
        HttpResponse<Buffer> r = get("/w_300,q_80/" + photo + ".webp");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("X-Cache")).isIn("MISS", "HIT-MEMORY");
        assertThat(r.getHeader("Content-Type")).isEqualTo("image/webp");
        assertThat(r.getHeader("Content-Length")).isEqualTo(Integer.toString(r.body().length()));
        assertThat(r.getHeader("ETag")).matches("\"[0-9a-f]{32}\"");
        assertThat(r.getHeader("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(r.getHeader("Surrogate-Key")).isEqualTo(photo);
        assertThat(r.getHeader("Accept-CH")).isEqualTo("Sec-CH-DPR, Sec-CH-Width");
        assertThat(r.getHeader("Vary")).isNull();
        assertThat(new String(r.body().getBytes(0, 4), StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        SourceInfo info = inspect(r);
        assertThat(info.format()).isEqualTo(ImageFormat.WEBP);
        assertThat(info.width()).isEqualTo(300);
        assertThat(info.height()).isEqualTo(169);
    }

    @Test
    void aSecondRequestIsACacheHitWithTheSameBytes() throws Exception {
        HttpResponse<Buffer> miss = get("/w_299,q_70/" + photo + ".webp");
        HttpResponse<Buffer> hit = get("/q_70,w_299/" + photo + ".webp");
        assertThat(miss.getHeader("X-Cache")).isEqualTo("MISS");
        assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT-MEMORY");
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(hit.getHeader("ETag")).isEqualTo(miss.getHeader("ETag"));
        java.nio.file.Path file = cacheDir.resolve(photo.substring(0, 4)).resolve(photo.substring(4, 6))
                .resolve(photo).resolve("q_70,w_299.webp");
        assertThat(file).exists();
        assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(miss.body().getBytes());
    }

    @Test
    void equivalentUrlsAreOneVariant() throws Exception {
        String a = get("/w_300,q_80/" + photo + ".webp").getHeader("ETag");
        String b = get("/q_80,w_300/" + photo + ".webp").getHeader("ETag");
        String c = get("/c_scale,w_300,q_80,g_center,dpr_1.0/" + photo + ".webp").getHeader("ETag");
        String other = get("/w_301,q_80/" + photo + ".webp").getHeader("ETag");
        String otherFormat = get("/w_300,q_80/" + photo + ".png").getHeader("ETag");
        assertThat(a).isEqualTo(b).isEqualTo(c).isNotEqualTo(other).isNotEqualTo(otherFormat);
    }

    @Test
    void conditionalAndHeadRequests() throws Exception {
        HttpResponse<Buffer> full = get("/w_200/" + photo + ".jpg");
        String etag = full.getHeader("ETag");
        HttpResponse<Buffer> notModified = get("/w_200/" + photo + ".jpg", "If-None-Match", etag);
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.body()).isNull();
        assertThat(notModified.getHeader("ETag")).isEqualTo(etag);
        assertThat(get("/w_200/" + photo + ".jpg", "If-None-Match", "\"other\", W/" + etag).statusCode()).isEqualTo(304);
        assertThat(get("/w_200/" + photo + ".jpg", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);

        HttpResponse<Buffer> head = send(HttpMethod.HEAD, "/w_200/" + photo + ".jpg");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isNull();
        assertThat(head.getHeader("Content-Length")).isEqualTo(full.getHeader("Content-Length"));
        assertThat(head.getHeader("ETag")).isEqualTo(etag);
        assertThat(head.getHeader("Content-Type")).isEqualTo("image/jpeg");
    }

    @Test
    void formatComesFromFThenExtensionThenTheOriginal() throws Exception {
        assertThat(get("/w_100/" + photo).getHeader("Content-Type")).isEqualTo("image/jpeg");
        assertThat(get("/w_100/" + alpha).getHeader("Content-Type")).isEqualTo("image/png");
        assertThat(get("/f_png,w_100/" + photo + ".webp").getHeader("Content-Type")).isEqualTo("image/png");
        HttpResponse<Buffer> avif = get("/w_100/" + photo + ".avif");
        assertThat(avif.getHeader("Content-Type")).isEqualTo("image/avif");
        assertThat(inspect(avif).format()).isEqualTo(ImageFormat.AVIF);
        assertThat(get("/" + photo + ".gif").getHeader("Content-Type")).isEqualTo("image/gif");
    }

    @Test
    void autoFormatFollowsAccept() throws Exception {
        HttpResponse<Buffer> chrome = get("/f_auto,w_100/" + photo, "Accept", "image/avif,image/webp,image/apng,image/*,*/*;q=0.8");
        assertThat(chrome.getHeader("Content-Type")).isEqualTo("image/avif");
        assertThat(chrome.getHeader("Vary")).contains("Accept");
        HttpResponse<Buffer> webp = get("/f_auto,w_100/" + photo, "Accept", "image/webp,*/*");
        assertThat(webp.getHeader("Content-Type")).isEqualTo("image/webp");
        HttpResponse<Buffer> old = get("/f_auto,w_100/" + photo, "Accept", "image/jpeg");
        assertThat(old.getHeader("Content-Type")).isEqualTo("image/jpeg");
        HttpResponse<Buffer> transparent = get("/f_auto,w_100/" + alpha, "Accept", "image/jpeg,image/png");
        assertThat(transparent.getHeader("Content-Type")).isEqualTo("image/png");
        assertThat(chrome.getHeader("ETag")).isNotEqualTo(webp.getHeader("ETag")).isNotEqualTo(old.getHeader("ETag"));
    }

    @Test
    void presetsAndAttachments() throws Exception {
        HttpResponse<Buffer> thumb = get("/t_thumb/" + photo + ".jpg");
        assertThat(inspect(thumb).width()).isEqualTo(150);
        assertThat(inspect(thumb).height()).isEqualTo(150);
        assertThat(thumb.getHeader("ETag")).isEqualTo(get("/c_fill,h_150,w_150/" + photo + ".jpg").getHeader("ETag"));
        HttpResponse<Buffer> attachment = get("/fl_attachment,w_50/" + photo + ".jpg");
        assertThat(attachment.getHeader("Content-Disposition")).isEqualTo("attachment; filename=\"" + photo + ".jpg\"");
    }

    @Test
    void badRequestsGetJsonErrorsNamingTheProblem() throws Exception {
        assertJsonError(get("/w_abc/" + photo + ".webp"), 400, "w_abc");
        assertJsonError(get("/w_300,w_400/" + photo + ".webp"), 400, "w_400");
        assertJsonError(get("/x_1/" + photo + ".webp"), 400, "x_1");
        assertJsonError(get("/t_nope/" + photo + ".webp"), 400, "nope");
        assertJsonError(get("/w_300/" + photo + ".bmp"), 400, "extension");
        assertJsonError(get("/w_300/not-an-id.webp"), 400, "id");
        assertJsonError(get("/w_9000/" + photo + ".webp"), 400, "width");
        assertJsonError(get("/w_300/" + "ab".repeat(20) + ".webp"), 404, "ab".repeat(20));
        assertJsonError(send(HttpMethod.POST, "/w_300/" + photo + ".webp"), 405);
        assertJsonError(send(HttpMethod.GET, "/nothing/here/at/all"), 400);
        // And the server keeps serving everyone else.
        assertThat(get("/w_64/" + photo + ".webp").statusCode()).isEqualTo(200);
    }

    @Test
    void originalsThatAreNoImageOrBrokenAreRefused() throws Exception {
        String svg = put("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"
                .getBytes(StandardCharsets.UTF_8), "image/svg+xml");
        assertJsonError(get("/w_100/" + svg + ".png"), 415);
        byte[] truncated = Arrays.copyOf(fixture("photo.jpg"), 3000);
        String broken = put(truncated, "image/jpeg");
        assertJsonError(get("/w_100/" + broken + ".png"), 422);
        assertThat(get("/w_64/" + photo + ".webp").statusCode()).isEqualTo(200);
    }

    @Test
    void healthReadinessAndMetrics() throws Exception {
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<Buffer> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.bodyAsJsonObject().getString("status")).isEqualTo("ready");
        get("/w_120/" + photo + ".webp");
        String metrics = get("/metrics").bodyAsString();
        assertThat(metrics).contains("imgorigin_requests_total{cache=\"MISS\",format=\"webp\",status=\"200\"}")
                .contains("imgorigin_render_duration_seconds_bucket")
                .contains("imgorigin_fetch_duration_seconds_count")
                .contains("imgorigin_renders_running")
                .contains("imgorigin_http_connections")
                .contains("imgorigin_eventloop_lag_seconds_count")
                .contains("jvm_memory_used_bytes");
    }

    @Test
    void concurrentRequestsAllSucceed() throws Exception {
        List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            inFlight.add(client.get("/w_" + (100 + i) + "/" + photo + ".webp").send());
        }
        for (var f : inFlight) {
            HttpResponse<Buffer> r = f.await(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.getHeader("Content-Type")).isEqualTo("image/webp");
        }
    }
}
