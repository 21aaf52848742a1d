package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache tiers through HTTP: one render per variant, tiers in X-Cache, X-Accel, purge, restarts. */
class CacheTiersTest {
    @TempDir
    Path root;
    Vertx vertx;
    WebClient client;
    String photo;
    String alpha;

    @BeforeEach
    void seed() throws Exception {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            photo = put(store, ServeImagesContract.fixture("photo.jpg"));
            alpha = put(store, ServeImagesContract.fixture("alpha.png"));
        }
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static String put(OriginalStore store, byte[] bytes) throws Exception {
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        store.put(new ImageId(id), bytes, "image/jpeg");
        return id;
    }

    private Server start(String... extra) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString()));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return Server.start(Config.fromEnv(env));
    }

    private HttpResponse<Buffer> get(Server server, String path, String... headers) throws Exception {
        var request = client.get(server.port(), "127.0.0.1", path);
        for (int i = 0; i < headers.length; i += 2) {
            request.putHeader(headers[i], headers[i + 1]);
        }
        return request.send().await(60, TimeUnit.SECONDS);
    }

    @Test
    void twentySimultaneousColdRequestsCauseExactlyOneRender() throws Exception {
        try (Server server = start()) {
            List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                burst.add(client.get(server.port(), "127.0.0.1", "/w_640,q_75/" + photo + ".avif").send());
            }
            List<HttpResponse<Buffer>> responses = new ArrayList<>();
            for (var f : burst) {
                responses.add(f.await(60, TimeUnit.SECONDS));
            }
            assertThat(responses).allSatisfy(r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(responses.getFirst().body());
            });
            assertThat(server.metrics().renders()).isEqualTo(1);
            assertThat(server.metrics().scrape())
                    .contains("imgorigin_render_duration_seconds_count{format=\"avif\",outcome=\"ok\"} 1\n");
        }
    }

    @Test
    void aFailedRenderIsNotCached() throws Exception {
        try (Server server = start()) {
            String broken;
            try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
                byte[] photoBytes = ServeImagesContract.fixture("photo.jpg");
                broken = put(store, java.util.Arrays.copyOf(photoBytes, photoBytes.length / 2));
            }
            assertThat(get(server, "/w_100/" + broken + ".webp").statusCode()).isEqualTo(422);
            assertThat(get(server, "/w_100/" + broken + ".webp").statusCode()).isEqualTo(422);
            assertThat(server.metrics().scrape())
                    .contains("imgorigin_render_duration_seconds_count{format=\"webp\",outcome=\"failed\"} 2\n");
            try (var files = Files.walk(root.resolve("cache"))) {
                assertThat(files.filter(Files::isRegularFile).map(Path::toString)).noneMatch(p -> p.contains(broken));
            }
        }
    }

    @Test
    void tiersShowInXCacheAndSurviveARestart() throws Exception {
        String url = "/w_200/" + photo + ".webp";
        byte[] first;
        try (Server server = start()) {
            HttpResponse<Buffer> miss = get(server, url);
            assertThat(miss.getHeader("X-Cache")).isEqualTo("MISS");
            first = miss.body().getBytes();
            assertThat(get(server, url).getHeader("X-Cache")).isEqualTo("HIT-MEMORY");
        }
        try (Server restarted = start()) {
            HttpResponse<Buffer> hit = get(restarted, url);
            assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT-DISK");
            assertThat(hit.body().getBytes()).isEqualTo(first);
            assertThat(hit.getHeader("Content-Length")).isEqualTo(Integer.toString(first.length));
            assertThat(hit.getHeader("Content-Type")).isEqualTo("image/webp");
            HttpResponse<Buffer> head = client.request(HttpMethod.HEAD, restarted.port(), "127.0.0.1", url).send()
                    .await(30, TimeUnit.SECONDS);
            assertThat(head.getHeader("Content-Length")).isEqualTo(Integer.toString(first.length));
            assertThat(head.body()).isNull();
            assertThat(restarted.metrics().renders()).isZero();
        }
    }

    @Test
    void behindNginxADiskHitIsAnAccelRedirect() throws Exception {
        try (Server server = start("IMGORIGIN_ACCEL_PREFIX", "/_cache/")) {
            String url = "/q_80,w_300/" + photo + ".webp";
            HttpResponse<Buffer> miss = get(server, url, "Accept", "image/webp");
            HttpResponse<Buffer> hit = get(server, url);
            assertThat(miss.getHeader("X-Cache")).isEqualTo("MISS");
            assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT-DISK");
            String relative = photo.substring(0, 4) + "/" + photo.substring(4, 6) + "/" + photo + "/q_80,w_300.webp";
            assertThat(hit.getHeader("X-Accel-Redirect")).isEqualTo("/_cache/" + relative);
            assertThat(hit.body()).isNull();
            for (String header : new String[] {"Content-Type", "ETag", "Cache-Control", "Surrogate-Key", "Accept-CH"}) {
                assertThat(hit.getHeader(header)).as(header).isEqualTo(miss.getHeader(header));
            }
            assertThat(Files.readAllBytes(root.resolve("cache").resolve(relative))).isEqualTo(miss.body().getBytes());
            // nginx could not open the file (X-Imgorigin-Missing, from its fallback location):
            // the answer carries the bytes, never another redirect.
            HttpResponse<Buffer> unreadable = get(server, url, "X-Imgorigin-Missing", "1");
            assertThat(unreadable.getHeader("X-Accel-Redirect")).isNull();
            assertThat(unreadable.getHeader("X-Cache")).isEqualTo("HIT-DISK");
            assertThat(unreadable.body().getBytes()).isEqualTo(miss.body().getBytes());
            // A file deleted behind the index: hits do not stat, so the origin still points at
            // it until nginx reports it missing; then it is forgotten, and the memory tier
            // still has the bytes.
            Files.delete(root.resolve("cache").resolve(relative));
            assertThat(get(server, url).getHeader("X-Accel-Redirect")).isEqualTo("/_cache/" + relative);
            HttpResponse<Buffer> again = get(server, url, "X-Imgorigin-Missing", "1");
            assertThat(again.getHeader("X-Accel-Redirect")).isNull();
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.getHeader("X-Cache")).isEqualTo("HIT-MEMORY");
            assertThat(again.body().getBytes()).isEqualTo(miss.body().getBytes());
            assertThat(get(server, url).getHeader("X-Accel-Redirect")).as("forgotten").isNull();
        }
    }

    @Test
    void purgeAndDeleteNeedTheAdminTokenAndRemoveEveryVariant() throws Exception {
        try (Server server = start("IMGORIGIN_ADMIN_TOKEN", "s3cret-admin")) {
            for (String v : new String[] {"w_100", "w_150", "w_200"}) {
                assertThat(get(server, "/" + v + "/" + photo + ".webp").statusCode()).isEqualTo(200);
            }
            get(server, "/w_100/" + alpha + ".png");
            Path variants = root.resolve("cache").resolve(new ImageId(photo).storageKey());
            try (var files = Files.list(variants)) {
                assertThat(files.count()).isEqualTo(3);
            }
            var noToken = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo).send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(noToken, 401, "token");
            var wrong = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo)
                    .bearerTokenAuthentication("nope").send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(wrong, 403, "token");
            var bad = client.post(server.port(), "127.0.0.1", "/admin/purge/XYZ")
                    .bearerTokenAuthentication("s3cret-admin").send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(bad, 400, "id");

            var purged = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo)
                    .bearerTokenAuthentication("s3cret-admin").send().await(30, TimeUnit.SECONDS);
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(purged.bodyAsJsonObject().getInteger("purged")).isEqualTo(3);
            assertThat(variants).doesNotExist();
            // The next request renders again (memory was purged too); the other image stays cached.
            assertThat(get(server, "/w_100/" + photo + ".webp").getHeader("X-Cache")).isEqualTo("MISS");
            assertThat(get(server, "/w_100/" + alpha + ".png").getHeader("X-Cache")).isEqualTo("HIT-MEMORY");

            var deleted = client.delete(server.port(), "127.0.0.1", "/images/" + photo)
                    .bearerTokenAuthentication("s3cret-admin").send().await(30, TimeUnit.SECONDS);
            assertThat(deleted.statusCode()).isEqualTo(204);
            assertThat(root.resolve("originals").resolve(new ImageId(photo).storageKey())).doesNotExist();
            ServeImagesContract.assertJsonError(get(server, "/w_120/" + photo + ".webp"), 404);
            var again = client.delete(server.port(), "127.0.0.1", "/images/" + photo)
                    .bearerTokenAuthentication("s3cret-admin").send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(again, 404);
        }
    }

    @Test
    void withoutATokenOnlyUnforwardedLoopbackClientsMayPurge() throws Exception {
        try (Server server = start()) {
            get(server, "/w_100/" + photo + ".webp");
            var local = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo).send().await(30, TimeUnit.SECONDS);
            assertThat(local.statusCode()).isEqualTo(200);
            assertThat(local.bodyAsJsonObject().getInteger("purged")).isEqualTo(1);
            var forwarded = client.post(server.port(), "127.0.0.1", "/admin/purge/" + photo)
                    .putHeader("X-Forwarded-For", "203.0.113.9").send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(forwarded, 403, "loopback");
        }
    }
}
