package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.imgorigin.url.Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * URLs in Cloudinary's delivery shape (the README's URL grammar: the {@code image/upload}
 * prefix, a cloud name, a version, a query string) are served as the same variant as today's
 * form: one cache entry, one ETag.
 */
class CloudinaryUrlTest {
    @TempDir
    Path root;

    @Test
    void prefixVersionAndQueryAreOneVariantWithTheCanonicalPath() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            var plain = get(client, server, "/w_300/" + id + ".webp");
            assertThat(plain.statusCode()).isEqualTo(200);
            String etag = plain.getHeader("ETag");
            for (String path : new String[] {
                    "/image/upload/w_300/v123/" + id + ".webp",
                    "/demo/image/upload/w_300/" + id + ".webp",
                    "/demo/image/upload/w_300/v1712345678/" + id + ".webp?_a=BAMAK+",
                    "/w_300/" + id + ".webp?v=2"}) {
                var answer = get(client, server, path);
                assertThat(answer.statusCode()).as(path).isEqualTo(200);
                assertThat(answer.getHeader("Content-Type")).as(path).isEqualTo("image/webp");
                assertThat(answer.getHeader("ETag")).as(path).isEqualTo(etag);
                // Rendered once: every other spelling is a cache hit of the same variant.
                assertThat(answer.getHeader("X-Cache")).as(path).startsWith("HIT");
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** A chain folds into one stage: the same variant as the single stage; two pixel stages are a 400. */
    @Test
    void chainsAreOneVariantOrA400NamingTheStages() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            var single = get(client, server, "/c_fill,h_200,w_200,q_80,f_png/" + id);
            assertThat(single.statusCode()).isEqualTo(200);
            var chain = get(client, server, "/demo/image/upload/c_fill,w_200,h_200/f_png/q_80/v17/" + id + "?_a=X");
            assertThat(chain.statusCode()).isEqualTo(200);
            assertThat(chain.getHeader("Content-Type")).isEqualTo("image/png");
            assertThat(chain.getHeader("ETag")).isEqualTo(single.getHeader("ETag"));
            assertThat(chain.getHeader("X-Cache")).startsWith("HIT");
            ServeImagesContract.assertJsonError(get(client, server,
                    "/image/upload/c_fill,w_400,h_400/e_blur:100/" + id + ".jpg"), 400,
                    "chained pixel transformations are not supported yet", "'c_fill,w_400,h_400'", "'e_blur:100'");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** {@code b_black} is a spelling of {@code b_rgb:000000}: one variant, padded with black. */
    @Test
    void colourNamesAreTheirHex() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            var hex = get(client, server, "/b_rgb:000000,c_pad,h_300,w_300/" + id + ".png");
            assertThat(hex.statusCode()).isEqualTo(200);
            var named = get(client, server, "/image/upload/c_pad,h_300,w_300,b_Black/" + id + ".png");
            assertThat(named.statusCode()).isEqualTo(200);
            assertThat(named.getHeader("ETag")).isEqualTo(hex.getHeader("ETag"));
            var info = ServeImagesContract.inspect(named);
            assertThat(info.width()).isEqualTo(300);
            assertThat(info.height()).isEqualTo(300);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSignatureStandsAfterThePrefixAndCoversWhatFollowsIt() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        String key = "cloudinary-key-0123456789";
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_SIGNING_KEY", key)) {
            WebClient client = WebClient.create(vertx);
            String signed = Signer.of(key).sign("w_100/v3/" + id + ".webp"); // /s--sig--/w_100/v3/<id>.webp
            assertThat(get(client, server, signed).statusCode()).isEqualTo(200);
            assertThat(get(client, server, "/demo/image/upload" + signed).statusCode()).isEqualTo(200);
            // The version is part of what was signed.
            ServeImagesContract.assertJsonError(get(client, server,
                    "/image/upload" + signed.replace("/v3/", "/v4/")), 403, "signature");
            ServeImagesContract.assertJsonError(get(client, server,
                    signed.replace("--/", "--/image/upload/")), 400, "after it");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static HttpResponse<Buffer> get(WebClient client, Server server, String path) throws Exception {
        return client.get(server.port(), "127.0.0.1", path).send().await(30, TimeUnit.SECONDS);
    }
}
