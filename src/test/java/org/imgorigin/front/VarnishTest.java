package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.imgorigin.app.Server;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The origin behind a real Varnish running {@code docker/varnish/default.vcl}: repeat requests
 * are Varnish hits, {@code bin/imgorigin purge} empties Varnish and the origin's own caches of
 * one image and nothing else, and {@code Accept} is reduced to the classes {@code f_auto}
 * tells apart (JPEG XL, AVIF, WebP, neither). {@code bin/imgorigin test} installs varnish and varnish-modules; without them
 * this test is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VarnishTest {
    private static final String ADMIN_TOKEN = "varnish-test-admin-token";
    private static final String CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
    private static final String CHROME_85 = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";
    private static final String SAFARI_17 = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,"
            + "video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";

    @TempDir
    static Path root;

    private Server server;
    private RunningVarnish varnish;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String photo;
    private String alpha;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(RunningVarnish.installed(), "varnishd or the xkey vmod (varnish-modules) is not installed");
        Path originals = root.resolve("originals");
        try (OriginalStore store = OriginalStores.file(originals)) {
            photo = put(store, "photo.jpg", "image/jpeg");
            alpha = put(store, "alpha.png", "image/png");
        }
        server = Server.start(Config.fromEnv(Map.of(
                "IMGORIGIN_PORT", "0",
                "IMGORIGIN_WORKERS", "2",
                "IMGORIGIN_ORIGINALS", "file:" + originals,
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN)));
        varnish = RunningVarnish.start(root.resolve("varnish"), server.port());
    }

    @AfterAll
    void stop() throws Exception {
        if (varnish != null) {
            varnish.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRepeatedRequestIsAVarnishHitThatTheOriginNeverSees() throws Exception {
        String url = "/w_120/" + photo + ".webp";
        long renders = server.metrics().renders();

        HttpResponse<byte[]> first = get(url);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(header(first, "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(first, "X-Cache")).isEqualTo("MISS");
        assertThat(header(first, "Surrogate-Key")).isEqualTo(photo);
        assertThat(first.headers().firstValue("xkey")).isEmpty();
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);

        // Neither a cookie nor a query string splits the cache: the origin reads neither.
        HttpResponse<byte[]> second = get(url + "?utm_source=test", "Cookie", "session=1");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(header(second, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(second.headers().firstValue("Age")).isPresent();
        assertThat(header(second, "ETag")).isEqualTo(header(first, "ETag"));
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);
    }

    @Test
    void purgeCommandSendsOneImageBackToTheOriginAndLeavesTheOtherCached() throws Exception {
        String photoUrl = "/w_140/" + photo + ".webp";
        String alphaUrl = "/w_140/" + alpha + ".png";
        get(photoUrl);
        get(alphaUrl);
        assertThat(header(get(photoUrl), "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(header(get(alphaUrl), "X-Varnish-Cache")).isEqualTo("HIT");

        PurgeCommand.Result purge = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", "http://127.0.0.1:" + server.port(),
                "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                "IMGORIGIN_VARNISH_URL", "http://127.0.0.1:" + varnish.port()), "", photo);
        assertThat(purge.exit()).as(purge.output()).isZero();
        assertThat(purge.stdout()).contains("purged " + photo);
        assertThat(purge.stderr()).contains("node http://127.0.0.1:" + server.port() + ": 1 ok, 0 failed")
                .contains("varnish http://127.0.0.1:" + varnish.port() + ": 1 ok, 0 failed");

        long renders = server.metrics().renders();
        HttpResponse<byte[]> refetched = get(photoUrl);
        assertThat(refetched.statusCode()).isEqualTo(200);
        assertThat(header(refetched, "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(refetched, "X-Cache")).as("the origin's own caches were purged too").isEqualTo("MISS");
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);

        HttpResponse<byte[]> other = get(alphaUrl);
        assertThat(header(other, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);
    }

    @Test
    void purgingALayersImageTakesEveryCompositeThatDrewItFromVarnishAndTheOrigin() throws Exception {
        String composite = "/w_160/g_north_west,l_" + alpha + ",w_40/" + photo + ".webp";
        String plain = "/w_161/" + photo + ".webp";
        get(composite);
        get(plain);
        HttpResponse<byte[]> cached = get(composite);
        assertThat(header(cached, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(header(cached, "Surrogate-Key").split(" ")).containsExactlyInAnyOrder(photo, alpha);
        assertThat(header(get(plain), "X-Varnish-Cache")).isEqualTo("HIT");

        PurgeCommand.Result purge = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", "http://127.0.0.1:" + server.port(),
                "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                "IMGORIGIN_VARNISH_URL", "http://127.0.0.1:" + varnish.port()), "", alpha);
        assertThat(purge.exit()).as(purge.output()).isZero();

        HttpResponse<byte[]> again = get(composite);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(header(again, "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(again, "X-Cache")).as("the origin's copy of the composite went too").isEqualTo("MISS");
        // What did not draw the layer stays at the CDN.
        assertThat(header(get(plain), "X-Varnish-Cache")).isEqualTo("HIT");
    }

    @Test
    void purgeCommandRefusesAMalformedId() throws Exception {
        PurgeCommand.Result purge = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", "http://127.0.0.1:" + server.port(),
                "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                "IMGORIGIN_VARNISH_URL", "http://127.0.0.1:" + varnish.port()), "", "NOT-AN-ID");
        assertThat(purge.exit()).as(purge.output()).isNotZero();
        assertThat(purge.stdout()).contains("invalid NOT-AN-ID");
        assertThat(purge.stderr()).contains("not an image id").contains("1 invalid");
    }

    @Test
    void acceptHeadersOfOneFormatClassShareOneObject() throws Exception {
        String url = "/w_160,f_auto/" + photo;
        long renders = server.metrics().renders();

        HttpResponse<byte[]> chrome = get(url, "Accept", CHROME);
        assertThat(header(chrome, "Content-Type")).isEqualTo("image/avif");
        assertThat(header(chrome, "Vary")).contains("Accept");
        assertThat(header(chrome, "X-Varnish-Cache")).isEqualTo("MISS");
        HttpResponse<byte[]> older = get(url, "Accept", CHROME_85);
        assertThat(header(older, "Content-Type")).isEqualTo("image/avif");
        assertThat(header(older, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);

        HttpResponse<byte[]> webp = get(url, "Accept", "image/webp,*/*");
        assertThat(header(webp, "Content-Type")).isEqualTo("image/webp");
        assertThat(header(webp, "X-Varnish-Cache")).isEqualTo("MISS");
        // AVIF refused with q=0 is the WebP class, not the AVIF one.
        HttpResponse<byte[]> noAvif = get(url, "Accept", "image/avif;q=0, image/webp;q=0.9, */*;q=0.5");
        assertThat(header(noAvif, "Content-Type")).isEqualTo("image/webp");
        assertThat(header(noAvif, "X-Varnish-Cache")).isEqualTo("HIT");

        HttpResponse<byte[]> plain = get(url, "Accept", "*/*");
        assertThat(header(plain, "Content-Type")).isEqualTo("image/jpeg");
        HttpResponse<byte[]> none = get(url);
        assertThat(header(none, "Content-Type")).isEqualTo("image/jpeg");
        assertThat(header(none, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 3);
    }

    @Test
    void acceptWithJpegXlIsItsOwnClass() throws Exception {
        String url = "/w_150,f_auto/" + photo;
        long renders = server.metrics().renders();
        HttpResponse<byte[]> safari = get(url, "Accept", SAFARI_17);
        assertThat(header(safari, "Content-Type")).isEqualTo("image/jxl");
        assertThat(header(safari, "Vary")).contains("Accept");
        assertThat(header(safari, "X-Varnish-Cache")).isEqualTo("MISS");
        HttpResponse<byte[]> other = get(url, "Accept", "image/jxl;q=0.9, image/avif, */*");
        assertThat(header(other, "Content-Type")).isEqualTo("image/jxl");
        assertThat(header(other, "X-Varnish-Cache")).isEqualTo("HIT");
        // JPEG XL refused with q=0 is the AVIF class.
        HttpResponse<byte[]> noJxl = get(url, "Accept", "image/jxl;q=0,image/avif,image/webp,*/*");
        assertThat(header(noJxl, "Content-Type")).isEqualTo("image/avif");
        assertThat(header(noJxl, "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(get(url, "Accept", CHROME), "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 2);
    }

    @Test
    void clientHintsAreRoundedAsTheOriginRoundsThem() throws Exception {
        String url = "/w_auto,f_webp/" + alpha;
        long renders = server.metrics().renders();
        HttpResponse<byte[]> first = get(url, "Sec-CH-Width", "301");
        assertThat(header(first, "Vary")).contains("Sec-CH-Width");
        assertThat(header(first, "X-Varnish-Cache")).isEqualTo("MISS");
        HttpResponse<byte[]> legacy = get(url, "Width", "399.5");
        assertThat(header(legacy, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);

        String dprUrl = "/w_50,dpr_auto,f_webp/" + alpha;
        HttpResponse<byte[]> dpr = get(dprUrl, "Sec-CH-DPR", "2.04");
        assertThat(header(dpr, "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(get(dprUrl, "DPR", "2"), "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(header(get(dprUrl, "Sec-CH-DPR", "0.5"), "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(get(dprUrl), "X-Varnish-Cache")).as("DPR 1 is no hint").isEqualTo("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders + 3);
    }

    /**
     * With {@code Access-Control-Allow-Origin: *} (the default) one object serves every page,
     * whatever its Origin: the grant passes through and the cache is not split per Origin.
     */
    @Test
    void crossOriginGrantsPassThroughWithoutSplittingTheCachePerOrigin() throws Exception {
        String url = "/w_140/" + photo + ".webp";
        long renders = server.metrics().renders();
        HttpResponse<byte[]> first = get(url, "Origin", "https://a.example");
        assertThat(header(first, "X-Varnish-Cache")).isEqualTo("MISS");
        for (String origin : new String[] {"https://b.example", "http://127.0.0.2:4000", null}) {
            HttpResponse<byte[]> again = origin == null ? get(url) : get(url, "Origin", origin);
            assertThat(header(again, "X-Varnish-Cache")).as(String.valueOf(origin)).isEqualTo("HIT");
            assertThat(again.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
            assertThat(again.headers().allValues("Timing-Allow-Origin")).containsExactly("*");
            assertThat(again.headers().allValues("Cross-Origin-Resource-Policy")).containsExactly("cross-origin");
        }
        assertThat(server.metrics().renders()).isEqualTo(renders + 1);

        HttpResponse<byte[]> preflight = send("OPTIONS", url, "Origin", "https://a.example",
                "Access-Control-Request-Method", "GET");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(header(preflight, "Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(header(preflight, "Access-Control-Max-Age")).isEqualTo("86400");

        HttpResponse<byte[]> metrics = get("/metrics", "Origin", "https://a.example");
        assertThat(metrics.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void adminAndMetricsPassThroughAndBadUrlsAreCachedOnlyBriefly() throws Exception {
        HttpResponse<byte[]> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(header(get("/metrics"), "X-Varnish-Cache")).isEqualTo("PASS");

        HttpResponse<byte[]> anonymous = send("POST", "/admin/purge/" + photo);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(header(anonymous, "X-Varnish-Cache")).isEqualTo("PASS");
        HttpResponse<byte[]> admin = send("POST", "/admin/purge/" + photo, "Authorization", "Bearer " + ADMIN_TOKEN);
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(new String(admin.body())).contains("\"purged\"");

        String unknown = "/w_100/" + "0".repeat(40) + ".webp";
        assertThat(get(unknown).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> again = get(unknown);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(header(again, "X-Varnish-Cache")).isEqualTo("HIT");
        assertThat(header(again, "Cache-Control")).isEqualTo("public, max-age=60");
        // Once that image is uploaded, purging its id must clear the cached 404.
        HttpResponse<byte[]> purge = send("PURGE", "/", "xkey-purge", "0".repeat(40));
        assertThat(new String(purge.body())).isEqualTo("{\"purged\": 1}");
        assertThat(header(get(unknown), "X-Varnish-Cache")).isEqualTo("MISS");

        HttpResponse<byte[]> bad = get("/w_abc/" + photo + ".webp");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(header(get("/w_abc/" + photo + ".webp"), "X-Varnish-Cache")).isEqualTo("HIT");
    }

    @Test
    void aKeyPurgeRemovesEveryVariantOfTheImageAndOnlyTheAclMayPurge() throws Exception {
        String url = "/w_180,f_auto/" + photo;
        get(url, "Accept", CHROME);
        get(url, "Accept", "image/webp");
        String single = "/w_180/" + alpha + ".webp";
        get(single);

        HttpClient outsider = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
        HttpResponse<byte[]> refused = outsider.send(HttpRequest.newBuilder(varnish.url("/"))
                .method("PURGE", HttpRequest.BodyPublishers.noBody()).header("xkey-purge", photo).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(header(get(url, "Accept", CHROME), "X-Varnish-Cache")).isEqualTo("HIT");

        HttpResponse<byte[]> purge = send("PURGE", "/", "xkey-purge", photo);
        assertThat(purge.statusCode()).isEqualTo(200);
        assertThat(header(purge, "Content-Type")).isEqualTo("application/json");
        assertThat(Integer.parseInt(header(purge, "X-Purged"))).isGreaterThanOrEqualTo(2);
        assertThat(new String(purge.body())).isEqualTo("{\"purged\": " + header(purge, "X-Purged") + "}");
        assertThat(header(get(url, "Accept", CHROME), "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(get(url, "Accept", "image/webp"), "X-Varnish-Cache")).isEqualTo("MISS");
        assertThat(header(get(single), "X-Varnish-Cache")).isEqualTo("HIT");

        // Without the header, PURGE removes the one URL.
        assertThat(send("PURGE", single).statusCode()).isEqualTo(200);
        assertThat(header(get(single), "X-Varnish-Cache")).isEqualTo("MISS");
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        return send("GET", path, headers);
    }

    private HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(varnish.url(path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse("(no " + name + ")");
    }

    private static String put(OriginalStore store, String fixture, String contentType) throws Exception {
        byte[] bytes;
        try (InputStream in = VarnishTest.class.getResourceAsStream("/images/" + fixture)) {
            bytes = in.readAllBytes();
        }
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        store.put(new ImageId(id), bytes, contentType);
        return id;
    }
}
