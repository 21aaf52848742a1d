package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /analytics counts what was asked, by whom, from which tier, and what it saved. */
class AnalyticsTest {
    @TempDir
    Path root;

    @Test
    void countsRequestsByFormatTierDeviceAndDprAndTheBytesSaved() throws Exception {
        byte[] photo = ServeImagesContract.fixture("photo.jpg");
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            String phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
            for (int i = 0; i < 3; i++) {
                client.get(server.port(), "127.0.0.1", "/w_300/" + id + ".webp").putHeader("User-Agent", phone)
                        .send().await(30, TimeUnit.SECONDS);
            }
            client.get(server.port(), "127.0.0.1", "/w_200,dpr_2.0/" + id + ".avif")
                    .putHeader("Sec-CH-UA-Mobile", "?0").putHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
                    .send().await(30, TimeUnit.SECONDS);
            client.get(server.port(), "127.0.0.1", "/w_abc/" + id + ".webp").send().await(30, TimeUnit.SECONDS);

            JsonObject a = client.get(server.port(), "127.0.0.1", "/analytics").send().await(30, TimeUnit.SECONDS)
                    .bodyAsJsonObject();
            assertThat(a.getLong("requests")).isEqualTo(5);
            assertThat(a.getJsonObject("byStatus").getLong("200")).isEqualTo(4);
            assertThat(a.getJsonObject("byStatus").getLong("400")).isEqualTo(1);
            assertThat(a.getJsonObject("byFormat").getLong("webp")).isEqualTo(3);
            assertThat(a.getJsonObject("byFormat").getLong("avif")).isEqualTo(1);
            assertThat(a.getJsonObject("byCache").getLong("MISS")).isEqualTo(2);
            assertThat(a.getJsonObject("byCache").getLong("HIT-MEMORY")).isEqualTo(2);
            assertThat(a.getJsonObject("byDevice").getLong("mobile")).isEqualTo(3);
            assertThat(a.getJsonObject("byDevice").getLong("desktop")).isEqualTo(1);
            assertThat(a.getJsonObject("byDpr").getLong("2.0")).isEqualTo(1);
            assertThat(a.getDouble("hitRatio")).isEqualTo(0.5);
            JsonObject bytes = a.getJsonObject("bytes");
            assertThat(bytes.getLong("originals")).isEqualTo(4L * photo.length);
            assertThat(bytes.getLong("served")).isPositive().isLessThan(bytes.getLong("originals"));
            assertThat(bytes.getDouble("savedRatio")).isGreaterThan(0.5);
            assertThat(bytes.getLong("sent")).isEqualTo(bytes.getLong("served"));
            assertThat(a.getJsonArray("topImages").getJsonObject(0).getString("id")).isEqualTo(id);
            assertThat(a.getJsonArray("topImages").getJsonObject(0).getLong("requests")).isEqualTo(4);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A restarted node serves a variant from its disk cache without reading the original, so
     * it does not know the original's size: the body still counts in {@code bytes.sent}; the
     * served-against-originals comparison leaves it out rather than count it as 0 bytes.
     */
    @Test
    void aDiskHitOnARestartedNodeCountsItsBytesAsSent() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try {
            WebClient client = WebClient.create(vertx);
            String url = "/w_300/" + id + ".webp";
            try (Server first = TestOrigin.start(root)) {
                assertThat(client.get(first.port(), "127.0.0.1", url).send().await(30, TimeUnit.SECONDS)
                        .getHeader("X-Cache")).isEqualTo("MISS");
                // The cache file is written after the response: wait for it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!hasCacheFile(root.resolve("cache"), id) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            try (Server restarted = TestOrigin.start(root)) {
                var hit = client.get(restarted.port(), "127.0.0.1", url).send().await(30, TimeUnit.SECONDS);
                assertThat(hit.statusCode()).isEqualTo(200);
                assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT-DISK");
                JsonObject bytes = client.get(restarted.port(), "127.0.0.1", "/analytics").send()
                        .await(30, TimeUnit.SECONDS).bodyAsJsonObject().getJsonObject("bytes");
                assertThat(bytes.getLong("sent")).isEqualTo(hit.body().length());
                assertThat(bytes.getLong("served")).isZero();
                assertThat(bytes.getLong("originals")).isZero();
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static boolean hasCacheFile(Path cache, String id) throws java.io.IOException {
        Path dir = cache.resolve(id.substring(0, 4)).resolve(id.substring(4, 6)).resolve(id);
        if (!java.nio.file.Files.isDirectory(dir)) {
            return false;
        }
        try (var files = java.nio.file.Files.list(dir)) {
            return files.anyMatch(f -> !f.getFileName().toString().startsWith("."));
        }
    }
}
