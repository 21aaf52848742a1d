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

    /**
     * Delivery-only stages fold into the pixel stage: the same variant as the single stage.
     * Pixel stages chain in order.
     */
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
            // Pixel stages chain: each works on the result of the one before.
            var blurred = get(client, server, "/image/upload/c_fill,w_400,h_400/e_blur:100/" + id + ".jpg");
            assertThat(blurred.statusCode()).isEqualTo(200);
            assertThat(ServeImagesContract.inspect(blurred).width()).isEqualTo(400);
            var cropped = get(client, server, "/image/upload/w_100/c_crop,w_50,h_50/" + id + ".png");
            var scaled = get(client, server, "/image/upload/c_crop,w_50,h_50/w_100/" + id + ".png");
            assertThat(ServeImagesContract.inspect(cropped).width()).isEqualTo(50);
            assertThat(ServeImagesContract.inspect(scaled).width()).isEqualTo(100);
            assertThat(ServeImagesContract.inspect(scaled).height()).isEqualTo(100);
            ServeImagesContract.assertJsonError(get(client, server,
                    "/image/upload/w_auto/e_blur:100/" + id + ".jpg"), 400, "w_auto in stage 'w_auto'");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code d_<id>}: a missing image is answered by the default one, rendered the same way,
     * cached for a minute and never as immutable, and purged with either id; an image that
     * exists is the same variant with or without it.
     */
    @Test
    void aDefaultImageStandsInForAMissingOne() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        String missing = "0123456789abcdef0123456789abcdef01234567";
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            WebClient client = WebClient.create(vertx);
            var standIn = get(client, server, "/image/upload/d_" + id + ".png,w_120/" + missing + ".webp");
            assertThat(standIn.statusCode()).isEqualTo(200);
            assertThat(standIn.getHeader("Content-Type")).isEqualTo("image/webp");
            assertThat(ServeImagesContract.inspect(standIn).width()).isEqualTo(120);
            assertThat(standIn.getHeader("Cache-Control")).isEqualTo("public, max-age=60");
            assertThat(standIn.getHeader("Surrogate-Key")).isEqualTo(missing + " " + id);
            // Again, from the cache: still a stand-in.
            var again = get(client, server, "/image/upload/d_" + id + ",w_120/" + missing + ".webp");
            assertThat(again.getHeader("X-Cache")).startsWith("HIT");
            assertThat(again.getHeader("Cache-Control")).isEqualTo("public, max-age=60");
            // The image exists: d_ changes nothing, and the answer is immutable.
            var plain = get(client, server, "/w_120/" + id + ".webp");
            var present = get(client, server, "/d_" + missing + ",w_120/" + id + ".webp");
            assertThat(present.getHeader("ETag")).isEqualTo(plain.getHeader("ETag"));
            assertThat(present.getHeader("Cache-Control")).contains("immutable");
            assertThat(present.getHeader("Surrogate-Key")).isEqualTo(id);
            // Both missing: a 404 about the image asked for.
            ServeImagesContract.assertJsonError(get(client, server, "/d_" + missing + ",w_120/"
                    + "fedcba9876543210fedcba9876543210fedcba98.webp"), 404, "fedcba9876543210");
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
