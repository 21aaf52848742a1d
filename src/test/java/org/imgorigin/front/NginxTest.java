package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.imgorigin.app.Server;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The origin behind the project's real {@code nginx/nginx.conf} (README, "Deployment"), with
 * {@code IMGORIGIN_ACCEL_PREFIX=/_cache/}: misses pass through, disk hits are sent by nginx
 * from the cache directory with the origin's headers. {@code bin/imgorigin test} installs
 * nginx; without it this test is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NginxTest {
    /** Headers every proxied answer has, whoever wrote the body; not the origin's. */
    private static final Set<String> TRANSPORT = Set.of("date", "server", "connection", "keep-alive");
    private static final String UPLOAD_TOKEN = "nginx-test-upload-token";

    Path root;
    Path cache;
    Server server;
    RunningNginx nginx;
    HttpClient http;
    String photo;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Files.isExecutable(RunningNginx.BINARY), "nginx is not installed");
        // Not @TempDir (0700): nginx's workers run as www-data and must reach the cache files.
        root = Files.createTempDirectory("imgorigin-nginx");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        cache = root.resolve("cache");
        Files.createDirectories(cache);
        byte[] bytes = fixture("photo.jpg");
        photo = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(photo), bytes, "image/jpeg");
        }
        server = Server.start(Config.fromEnv(Map.of(
                "IMGORIGIN_PORT", "0",
                "IMGORIGIN_WORKERS", "2",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", cache.toString(),
                "IMGORIGIN_ACCEL_PREFIX", "/_cache/",
                "IMGORIGIN_UPLOAD_TOKEN", UPLOAD_TOKEN)));
        nginx = RunningNginx.start(root.resolve("nginx"), server.port(), cache);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (nginx != null) {
                nginx.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (http != null) {
                http.close();
            }
            if (root != null) {
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/q_80,w_300/%s.webp",
            // f_auto and q_auto: a Vary header
            "/f_auto,q_auto,w_200/%s",
            // a colon in the cache file's name
            "/c_fill,w_160,ar_16:9/%s.webp",
            // Content-Disposition
            "/fl_attachment,w_120/%s.jpg",
            // the original re-encoded: original.png
            "/%s.png",
            // a text layer: escapes (%20, %252C) in the cache file's name
            "/l_text:DejaVu%%20Sans_20:Hi%%252C%%20there/%s.webp"})
    void aDiskHitIsSentByNginxWithExactlyTheOriginsHeaders(String pattern) throws Exception {
        String url = pattern.formatted(photo);
        HttpResponse<byte[]> miss = get(url);
        assertThat(miss.statusCode()).as(nginx.log()).isEqualTo(200);
        assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(miss.body()).isNotEmpty();

        HttpResponse<byte[]> hit = get(url);
        assertThat(hit.statusCode()).as(nginx.log()).isEqualTo(200);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(hit.headers().firstValue("Content-Length")).hasValue(Integer.toString(miss.body().length));
        // The same header lines, each with the same values: nothing of nginx's own (ETag,
        // Last-Modified, Accept-Ranges), nothing dropped (Vary, Surrogate-Key, Accept-CH…).
        assertThat(names(hit)).isEqualTo(names(miss));
        for (String name : names(miss)) {
            if (!Set.of("content-length", "x-cache").contains(name)) {
                assertThat(hit.headers().allValues(name)).as(name).isEqualTo(miss.headers().allValues(name));
            }
        }

        // And the bytes did come from nginx: the origin itself only points at the file.
        HttpResponse<byte[]> direct = direct(url);
        assertThat(direct.headers().firstValue("X-Accel-Redirect")).isPresent();
        assertThat(direct.body()).isEmpty();
    }

    @Test
    void aDiskHitHasTheImageHeadersOfTheSpec() throws Exception {
        String url = "/f_auto,q_auto,w_220/" + photo;
        get(url);
        HttpResponse<byte[]> hit = get(url);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        assertThat(hit.headers().firstValue("Content-Type")).hasValue("image/webp");
        assertThat(hit.headers().firstValue("ETag")).hasValueSatisfying(e -> assertThat(e).matches("\"[^\"]+\""));
        assertThat(hit.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(hit.headers().allValues("Cache-Control")).hasSize(1);
        assertThat(hit.headers().firstValue("Surrogate-Key")).hasValue(photo);
        assertThat(hit.headers().firstValue("Accept-CH")).hasValue("Sec-CH-DPR, Sec-CH-Width");
        assertThat(hit.headers().firstValue("Vary")).hasValueSatisfying(v -> assertThat(v).contains("Accept"));
        assertThat(hit.headers().map()).doesNotContainKeys("x-accel-redirect", "last-modified", "accept-ranges",
                "x-imgorigin-fallback");
    }

    /**
     * The cross-origin grants survive nginx's X-Accel-Redirect hand-off (which keeps only a few
     * of the origin's headers), and preflights and errors pass through as the origin sent them.
     */
    @Test
    void crossOriginGrantsPassThroughOnDiskHitsPreflightsAndErrors() throws Exception {
        String url = "/w_230/" + photo + ".webp";
        get(url, "Origin", "http://127.0.0.2:4000");
        HttpResponse<byte[]> hit = get(url, "Origin", "http://127.0.0.2:4000");
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        assertThat(hit.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
        assertThat(hit.headers().allValues("Timing-Allow-Origin")).containsExactly("*");
        assertThat(hit.headers().allValues("Cross-Origin-Resource-Policy")).containsExactly("cross-origin");
        assertThat(hit.headers().firstValue("Vary")).isEmpty();

        HttpResponse<byte[]> notModified = get(url, "Origin", "http://127.0.0.2:4000",
                "If-None-Match", hit.headers().firstValue("ETag").orElseThrow());
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");

        HttpResponse<byte[]> preflight = send(asBrowser(front(url), "Origin", "http://127.0.0.2:4000",
                "Access-Control-Request-Method", "GET")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(preflight.statusCode()).as(nginx.log()).isEqualTo(204);
        assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, HEAD");

        HttpResponse<byte[]> error = get("/w_abc/" + photo + ".webp", "Origin", "http://127.0.0.2:4000");
        assertThat(error.statusCode()).isEqualTo(400);
        assertThat(error.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
        assertThat(error.headers().allValues("Cross-Origin-Resource-Policy")).containsExactly("cross-origin");
    }

    @Test
    void diskHitsKeepNginxsConnectionToTheOriginAlive() throws Exception {
        // nginx reuses an upstream connection after an X-Accel-Redirect only when the origin's
        // answer says `Content-Length: 0`; otherwise every hit costs a TCP connection.
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "no /proc/net/tcp");
        String url = "/w_240/" + photo + ".webp";
        get(url);
        assertThat(get(url).headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        long closedBefore = closedConnections(server.port());
        for (int i = 0; i < 30; i++) {
            assertThat(get(url).headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        }
        assertThat(closedConnections(server.port()) - closedBefore).isLessThan(5);
    }

    /** Sockets in TIME_WAIT on either side of a connection to {@code port}: connections closed lately. */
    private static long closedConnections(int port) throws IOException {
        String hexPort = ":%04X".formatted(port);
        long count = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path file = Path.of(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.strip().split("\\s+");
                boolean timeWait = f[3].equals("06");
                if (timeWait && (f[1].endsWith(hexPort) || f[2].endsWith(hexPort))) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void ifNoneMatchWithTheOriginsETagIsA304ThroughNginx() throws Exception {
        String url = "/w_250/" + photo + ".webp";
        get(url);
        HttpResponse<byte[]> hit = get(url);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        String etag = hit.headers().firstValue("ETag").orElseThrow();

        HttpResponse<byte[]> notModified = get(url, "If-None-Match", etag);
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
        assertThat(notModified.headers().firstValue("ETag")).hasValue(etag);
        assertThat(notModified.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");

        HttpResponse<byte[]> changed = get(url, "If-None-Match", "\"something-else\"");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.body()).isEqualTo(hit.body());
    }

    @Test
    void headOfADiskHitHasTheHeadersAndNoBody() throws Exception {
        String url = "/w_260/" + photo + ".webp";
        byte[] bytes = get(url).body();
        HttpResponse<byte[]> hit = get(url);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");

        HttpResponse<byte[]> head = send(asBrowser(front(url)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(bytes.length));
        assertThat(head.headers().firstValue("Content-Type")).hasValue("image/webp");
        assertThat(head.headers().firstValue("ETag")).isEqualTo(hit.headers().firstValue("ETag"));
    }

    @Test
    void theCacheLocationIsNotReachableFromOutside() throws Exception {
        String url = "/w_270/" + photo + ".webp";
        get(url);
        String accel = direct(url).headers()
                .firstValue("X-Accel-Redirect").orElseThrow();
        assertThat(accel).startsWith("/_cache/");
        assertThat(cache.resolve(accel.substring("/_cache/".length()))).isRegularFile();

        HttpResponse<byte[]> outside = get(accel);
        assertThat(outside.statusCode()).isEqualTo(404);
        assertThat(outside.headers().firstValue("Content-Type").orElse("")).doesNotStartWith("image/");
        // A stray request for the internal location is no failed hand-off.
        assertThat(outside.headers().firstValue("X-Imgorigin-Fallback")).isEmpty();
        HttpResponse<byte[]> stray = get("/_cache/no/such/file.webp");
        assertThat(stray.statusCode()).isEqualTo(404);
        assertThat(stray.headers().firstValue("X-Imgorigin-Fallback")).isEmpty();
        assertThat(get("/_cache/").statusCode()).isEqualTo(404);
    }

    @Test
    void aJsonErrorPassesThroughUnchanged() throws Exception {
        String url = "/w_abc/" + photo + ".webp";
        HttpResponse<byte[]> direct = direct(url);
        HttpResponse<byte[]> proxied = get(url);
        assertThat(direct.statusCode()).isEqualTo(400);
        assertThat(proxied.statusCode()).isEqualTo(400);
        assertThat(proxied.headers().firstValue("Content-Type")).isEqualTo(direct.headers().firstValue("Content-Type"));
        assertThat(proxied.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        assertThat(proxied.headers().allValues("Cache-Control")).isEqualTo(direct.headers().allValues("Cache-Control"));
        assertThat(new String(proxied.body(), StandardCharsets.UTF_8))
                .isEqualTo(new String(direct.body(), StandardCharsets.UTF_8))
                .contains("\"status\"").contains("w_");
    }

    @Test
    void aCacheFileGoneBehindTheOriginsBackIsServedAndForgotten() throws Exception {
        String url = "/w_280/" + photo + ".webp";
        byte[] bytes = get(url).body();
        String accel = direct(url).headers()
                .firstValue("X-Accel-Redirect").orElseThrow();
        Files.delete(cache.resolve(accel.substring("/_cache/".length())));

        // The origin does not stat files on hits, so it points nginx at the missing file;
        // nginx's fallback tells it so, and it serves the variant without a redirect.
        HttpResponse<byte[]> after = get(url);
        assertThat(after.statusCode()).as(after.headers().map().toString()).isEqualTo(200);
        assertThat(after.body()).isEqualTo(bytes);
        assertThat(after.headers().allValues("Cache-Control")).containsExactly("public, max-age=31536000, immutable");
        // nginx says the hand-off failed: the header the README tells operators to look for.
        assertThat(after.headers().allValues("X-Imgorigin-Fallback")).containsExactly("cache-file-not-found");
        assertThat(direct(url).headers().firstValue("X-Accel-Redirect")).as("forgotten by the origin").isEmpty();
    }

    @Test
    void anAliasThatIsNotTheCacheDirectoryShowsOnEveryDiskHit() throws Exception {
        // The mistake the README warns of: nginx's alias somewhere else than IMGORIGIN_CACHE_DIR.
        Path elsewhere = root.resolve("not-the-cache");
        Files.createDirectories(elsewhere);
        try (RunningNginx wrong = RunningNginx.start(root.resolve("nginx-wrong-alias"), server.port(), elsewhere)) {
            String url = "/w_310/" + photo + ".webp";
            URI front = URI.create("http://127.0.0.1:" + wrong.port() + url);
            HttpResponse<byte[]> miss = send(asBrowser(front));
            assertThat(miss.statusCode()).isEqualTo(200);
            assertThat(miss.headers().firstValue("X-Imgorigin-Fallback")).isEmpty();
            for (int i = 0; i < 2; i++) {
                // Right bytes, from the origin rather than nginx, and flagged each time.
                HttpResponse<byte[]> hit = send(asBrowser(front));
                assertThat(hit.statusCode()).as(wrong.log()).isEqualTo(200);
                assertThat(hit.body()).isEqualTo(miss.body());
                assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
                assertThat(hit.headers().allValues("X-Imgorigin-Fallback")).containsExactly("cache-file-not-found");
            }
            assertThat(wrong.log()).contains("No such file or directory");
            // The access log is flushed every second.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!wrong.accessLog().contains("fallback=cache-file-not-found") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(wrong.accessLog()).contains("fallback=cache-file-not-found");
        }
        // The right alias, for the same variant: no fallback.
        HttpResponse<byte[]> right = get("/w_310/" + photo + ".webp");
        assertThat(right.headers().firstValue("X-Cache")).hasValue("HIT-DISK");
        assertThat(right.headers().firstValue("X-Imgorigin-Fallback")).isEmpty();
    }

    @Test
    void aCacheFileNginxCannotReadIsAnErrorNobodyCaches() throws Exception {
        String url = "/w_291/" + photo + ".webp";
        assertThat(get(url).statusCode()).isEqualTo(200);
        String accel = direct(url).headers().firstValue("X-Accel-Redirect").orElseThrow();
        Path file = cache.resolve(accel.substring("/_cache/".length()));
        var permissions = Files.getPosixFilePermissions(file);
        Files.setPosixFilePermissions(file, Set.of()); // nginx's workers (www-data) cannot open it
        try {
            HttpResponse<byte[]> unreadable = get(url);
            // nginx's own error, not its 404 fallback: it must not keep the origin's "immutable".
            assertThat(unreadable.statusCode()).isEqualTo(403);
            assertThat(unreadable.headers().allValues("Cache-Control")).as(unreadable.headers().map().toString())
                    .contains("no-store");
        } finally {
            Files.setPosixFilePermissions(file, permissions);
        }
        assertThat(get(url).statusCode()).isEqualTo(200);
    }

    @Test
    void anUploadStreamsThroughNginxAndItsVariantsAreServed() throws Exception {
        byte[] png = fixture("alpha.png");
        HttpResponse<byte[]> created = send(HttpRequest.newBuilder(front("/images"))
                .header("Authorization", "Bearer " + UPLOAD_TOKEN)
                .header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)));
        assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isIn(200, 201);
        String body = new String(created.body(), StandardCharsets.UTF_8);
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)).substring(0, 40);
        assertThat(body).contains(id);

        String url = "/w_50/" + id + ".png";
        assertThat(get(url).statusCode()).isEqualTo(200);
        assertThat(get(url).headers().firstValue("X-Cache")).hasValue("HIT-DISK");
    }

    @Test
    void tooLargeUploadsGetJson413sFromTheOriginOrFromNginx() throws Exception {
        // Over IMGORIGIN_MAX_UPLOAD_BYTES (50MB) but under client_max_body_size (50m): the
        // origin refuses it at its Content-Length, while nginx is still sending the body.
        HttpResponse<byte[]> byOrigin = upload(51_000_000);
        assertThat(byOrigin.statusCode()).as(new String(byOrigin.body(), StandardCharsets.UTF_8)).isEqualTo(413);
        assertThat(byOrigin.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        // Over client_max_body_size: nginx answers in the origin's shape.
        HttpResponse<byte[]> byNginx = upload(53_000_000);
        assertThat(byNginx.statusCode()).isEqualTo(413);
        assertThat(byNginx.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(byNginx.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(new String(byNginx.body(), StandardCharsets.UTF_8)).startsWith("{\"status\": 413,");
    }

    private HttpResponse<byte[]> upload(int bytes) throws Exception {
        return send(HttpRequest.newBuilder(front("/images"))
                .header("Authorization", "Bearer " + UPLOAD_TOKEN)
                .header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes])));
    }

    @Test
    void withoutATokenAdminRequestsThroughNginxAreNotLoopbackRequests() throws Exception {
        // nginx connects from loopback; its X-Real-IP / X-Forwarded-For tell the origin that
        // the client is someone else.
        String nobody = "0".repeat(40);
        HttpResponse<byte[]> direct = send(HttpRequest.newBuilder(origin("/admin/purge/" + nobody))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(direct.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> proxied = send(HttpRequest.newBuilder(front("/admin/purge/" + nobody))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(proxied.statusCode()).isEqualTo(403);
        assertThat(proxied.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
    }

    private static Set<String> names(HttpResponse<?> response) {
        Set<String> names = new TreeSet<>(response.headers().map().keySet().stream()
                .map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList());
        names.removeAll(TRANSPORT);
        return names;
    }

    private URI front(String path) {
        return URI.create("http://127.0.0.1:" + nginx.port() + path);
    }

    private URI origin(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** Through nginx, asking as a browser that takes WebP. */
    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        return send(asBrowser(front(path), headers));
    }

    /** The same request, straight to the origin. */
    private HttpResponse<byte[]> direct(String path) throws Exception {
        return send(asBrowser(origin(path)));
    }

    private static HttpRequest.Builder asBrowser(URI uri, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET()
                .header("Accept", "image/webp,image/*,*/*;q=0.8");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = NginxTest.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }
}
