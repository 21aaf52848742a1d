package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.imgorigin.config.Config;
import org.imgorigin.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cross-origin grants of the README's "Responses": every answer on an image path (200,
 * 304, HEAD, errors, preflights) carries them; admin endpoints, metrics and analytics never do.
 */
class CorsTest {
    private static final String PAGE = "http://127.0.0.2:4000";

    @TempDir
    Path root;
    private Vertx vertx;
    private WebClient client;
    private String id;

    @BeforeEach
    void setUp() throws Exception {
        id = TestOrigin.store(root, "photo.jpg");
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private HttpResponse<Buffer> send(Server server, HttpMethod method, String path, String... headers)
            throws Exception {
        var request = client.request(method, server.port(), "127.0.0.1", path);
        for (int i = 0; i < headers.length; i += 2) {
            request.putHeader(headers[i], headers[i + 1]);
        }
        return request.send().await(30, TimeUnit.SECONDS);
    }

    private static void assertGrantedToAll(HttpResponse<Buffer> response) {
        assertThat(response.getHeader("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(response.getHeader("Timing-Allow-Origin")).isEqualTo("*");
        assertThat(response.getHeader("Cross-Origin-Resource-Policy")).isEqualTo("cross-origin");
        assertThat(String.valueOf(response.getHeader("Vary"))).doesNotContain("Origin");
    }

    private static void assertNoGrant(HttpResponse<Buffer> response) {
        assertThat(response.getHeader("Access-Control-Allow-Origin")).isNull();
        assertThat(response.getHeader("Timing-Allow-Origin")).isNull();
        assertThat(response.getHeader("Cross-Origin-Resource-Policy")).isNull();
    }

    @Test
    void imageAnswersAreGrantedToEveryOriginByDefault() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            String url = "/w_100,f_auto/" + id;
            var ok = send(server, HttpMethod.GET, url, "Origin", PAGE, "Accept", "image/webp");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertGrantedToAll(ok);
            assertThat(ok.getHeader("Vary")).isEqualTo("Accept");
            // Without an Origin (a plain <img>), the same answer: one cached object for all.
            assertGrantedToAll(send(server, HttpMethod.GET, url, "Accept", "image/webp"));
            var head = send(server, HttpMethod.HEAD, url, "Origin", PAGE, "Accept", "image/webp");
            assertThat(head.statusCode()).isEqualTo(200);
            assertGrantedToAll(head);
            var notModified = send(server, HttpMethod.GET, url, "Origin", PAGE, "Accept", "image/webp",
                    "If-None-Match", ok.getHeader("ETag"));
            assertThat(notModified.statusCode()).isEqualTo(304);
            assertGrantedToAll(notModified);
            // Errors too: a script can read why an image failed.
            var missing = send(server, HttpMethod.GET, "/w_100/" + "0".repeat(64) + ".webp", "Origin", PAGE);
            ServeImagesContract.assertJsonError(missing, 404);
            assertGrantedToAll(missing);
            var bad = send(server, HttpMethod.GET, "/w_abc/" + id + ".webp", "Origin", PAGE);
            ServeImagesContract.assertJsonError(bad, 400, "w_abc");
            assertGrantedToAll(bad);

            var preflight = send(server, HttpMethod.OPTIONS, url, "Origin", PAGE,
                    "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "sec-ch-dpr");
            assertThat(preflight.statusCode()).isEqualTo(204);
            assertGrantedToAll(preflight);
            assertThat(preflight.getHeader("Access-Control-Allow-Methods")).isEqualTo("GET, HEAD");
            assertThat(preflight.getHeader("Access-Control-Allow-Headers")).contains("Sec-CH-DPR", "Sec-CH-Width");
            assertThat(preflight.getHeader("Access-Control-Max-Age")).isEqualTo("86400");
        }
    }

    @Test
    void adminEndpointsAreNeverGranted() throws Exception {
        try (Server server = TestOrigin.start(root)) {
            for (String path : new String[] {"/metrics", "/analytics", "/healthz", "/images/" + id}) {
                var response = send(server, HttpMethod.GET, path, "Origin", PAGE);
                assertThat(response.statusCode()).as(path).isEqualTo(200);
                assertNoGrant(response);
            }
            // Loopback without tokens: these are authorised, and still carry no grant.
            var purge = send(server, HttpMethod.POST, "/admin/purge/" + id, "Origin", PAGE);
            assertThat(purge.statusCode()).isEqualTo(200);
            assertNoGrant(purge);
            var badPurge = send(server, HttpMethod.POST, "/admin/purge/nope", "Origin", PAGE);
            ServeImagesContract.assertJsonError(badPurge, 400);
            assertNoGrant(badPurge);
            var badDelete = send(server, HttpMethod.DELETE, "/images/nope", "Origin", PAGE);
            ServeImagesContract.assertJsonError(badDelete, 400);
            assertNoGrant(badDelete);
            for (String path : new String[] {"/admin/purge/" + id, "/images/" + id, "/metrics", "/analytics", "/"}) {
                var preflight = send(server, HttpMethod.OPTIONS, path, "Origin", PAGE,
                        "Access-Control-Request-Method", path.startsWith("/admin") ? "POST" : "DELETE");
                assertThat(preflight.statusCode()).as(path).isEqualTo(405);
                assertNoGrant(preflight);
            }
            // No upload origins by default: the upload preflight is refused, without a grant.
            var upload = send(server, HttpMethod.OPTIONS, "/images", "Origin", PAGE,
                    "Access-Control-Request-Method", "POST");
            ServeImagesContract.assertJsonError(upload, 403, "IMGORIGIN_UPLOAD_ORIGINS");
            assertNoGrant(upload);
        }
    }

    @Test
    void aListOfOriginsEchoesTheListedOneAndVariesOnOrigin() throws Exception {
        try (Server server = TestOrigin.start(root, "IMGORIGIN_ALLOW_ORIGIN",
                "https://www.example.com, " + PAGE)) {
            String url = "/w_100,f_auto/" + id;
            var listed = send(server, HttpMethod.GET, url, "Origin", PAGE, "Accept", "image/webp");
            assertThat(listed.statusCode()).isEqualTo(200);
            assertThat(listed.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
            // The whole list: a plain <img> sends no Origin, and its page may still time it.
            assertThat(listed.getHeader("Timing-Allow-Origin")).isEqualTo("https://www.example.com, " + PAGE);
            assertThat(listed.getHeader("Cross-Origin-Resource-Policy")).isEqualTo("cross-origin");
            assertThat(listed.getHeader("Vary")).isEqualTo("Origin, Accept");
            var other = send(server, HttpMethod.GET, url, "Origin", "https://evil.example", "Accept", "image/webp");
            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(other.getHeader("Access-Control-Allow-Origin")).isNull();
            assertThat(other.getHeader("Timing-Allow-Origin")).isEqualTo("https://www.example.com, " + PAGE);
            assertThat(other.getHeader("Vary")).isEqualTo("Origin, Accept");
            var plain = send(server, HttpMethod.GET, "/w_100/" + id + ".webp");
            assertThat(plain.getHeader("Access-Control-Allow-Origin")).isNull();
            assertThat(plain.getHeader("Timing-Allow-Origin")).isEqualTo("https://www.example.com, " + PAGE);
            assertThat(plain.getHeader("Vary")).isEqualTo("Origin");
            var notModified = send(server, HttpMethod.GET, "/w_100/" + id + ".webp", "Origin", PAGE,
                    "If-None-Match", plain.getHeader("ETag"));
            assertThat(notModified.statusCode()).isEqualTo(304);
            assertThat(notModified.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
            assertThat(notModified.getHeader("Vary")).isEqualTo("Origin");
            var missing = send(server, HttpMethod.GET, "/" + "0".repeat(64) + ".webp", "Origin", PAGE);
            ServeImagesContract.assertJsonError(missing, 404);
            assertThat(missing.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
            assertThat(missing.getHeader("Vary")).isEqualTo("Origin");
        }
    }

    @Test
    void malformedOriginsStopTheStart() {
        for (String bad : new String[] {"https://www.example.com/", "www.example.com", "https://WWW.example.com",
                "https://example.com:443", "ftp://example.com", "*, https://example.com", "https://example.com/x"}) {
            assertThatThrownBy(() -> Config.fromEnv(TestOrigin.env(root, "IMGORIGIN_ALLOW_ORIGIN", bad)))
                    .as(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith("IMGORIGIN_ALLOW_ORIGIN: ");
        }
        assertThatThrownBy(() -> Config.fromEnv(TestOrigin.env(root, "IMGORIGIN_UPLOAD_ORIGINS", "*",
                "IMGORIGIN_UPLOAD_TOKEN", "t")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'*' is not allowed");
        assertThatThrownBy(() -> Config.fromEnv(TestOrigin.env(root, "IMGORIGIN_UPLOAD_ORIGINS", PAGE)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("IMGORIGIN_UPLOAD_TOKEN");
        Config ok = Config.fromEnv(TestOrigin.env(root, "IMGORIGIN_ALLOW_ORIGIN",
                "https://a.example.com,http://127.0.0.1:8080, http://[::1]:3000"));
        assertThat(ok.allowOrigins()).containsExactly("https://a.example.com", "http://127.0.0.1:8080",
                "http://[::1]:3000");
        assertThat(Config.fromEnv(TestOrigin.env(root)).allowOrigins()).containsExactly("*");
        assertThat(Config.fromEnv(TestOrigin.env(root)).uploadOrigins()).isEmpty();
    }
}
