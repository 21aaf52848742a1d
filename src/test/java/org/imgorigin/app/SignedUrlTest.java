package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.imgorigin.url.Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With IMGORIGIN_SIGNING_KEY set, only signed URLs are served; the rest get 403 as JSON. */
class SignedUrlTest {
    private static final String KEY = "rotated-key-0000000000, current-key-1111111111";

    @TempDir
    Path root;

    @Test
    void onlySignedUrlsAreServed() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_SIGNING_KEY", KEY)) {
            WebClient client = WebClient.create(vertx);
            String path = "w_100/" + id + ".webp";
            String signedByOld = Signer.of("current-key-1111111111").sign(path);
            assertThat(status(client, server, Signer.of(KEY).sign(path))).isEqualTo(200);
            assertThat(status(client, server, signedByOld)).isEqualTo(200);
            var unsigned = client.get(server.port(), "127.0.0.1", "/" + path).send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(unsigned, 403, "signed");
            var forged = client.get(server.port(), "127.0.0.1", signedByOld.replace("w_100", "w_900")).send()
                    .await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(forged, 403, "signature");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** A signed-only server does not tell an anonymous client which ids exist: metadata needs the upload token. */
    @Test
    void metadataNeedsTheUploadToken() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_SIGNING_KEY", KEY, "IMGORIGIN_UPLOAD_TOKEN", "up-token")) {
            WebClient client = WebClient.create(vertx);
            var anonymous = client.get(server.port(), "127.0.0.1", "/images/" + id).send().await(30, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(anonymous, 401, "token");
            var backend = client.get(server.port(), "127.0.0.1", "/images/" + id)
                    .putHeader("Authorization", "Bearer up-token").send().await(30, TimeUnit.SECONDS);
            assertThat(backend.statusCode()).isEqualTo(200);
            assertThat(backend.bodyAsJsonObject().getInteger("width")).isEqualTo(1200);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static int status(WebClient client, Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(30, TimeUnit.SECONDS).statusCode();
    }
}
