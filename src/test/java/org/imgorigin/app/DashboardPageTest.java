package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * The traffic dashboard on {@code GET /} in headless Chromium: empty before any image is
 * served, then, without a reload, the same numbers as {@code GET /analytics} once images have
 * been asked for in several formats by several kinds of device. Skipped without Debian's
 * {@code chromium} and {@code chromium-driver}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardPageTest {
    /** The page refreshes every 5 s; thumbnails that load count as requests, seen one refresh later. */
    private static final long WAIT_SECONDS = 30;
    private static final String DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0";
    private static final String PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
    private static final String TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1";
    /** What the dashboard shows, read from the DOM. */
    private static final String DASHBOARD = """
            const q = s => document.querySelector(s);
            const rows = id => Object.fromEntries([...document.querySelectorAll('#' + id + ' li[data-key]')]
                .map(li => [li.dataset.key, {count: Number(li.dataset.count), text: li.textContent}]));
            return {
              updated: q('#dash-updated').textContent,
              error: q('#dash-error').textContent,
              emptyShown: !q('#dash-empty').hidden,
              emptyText: q('#dash-empty').textContent,
              shown: !q('#dashboard').hidden,
              hitRatio: q('#hit-ratio').textContent,
              total: q('#requests-total').textContent,
              saved: q('#bytes-saved').textContent,
              arcs: document.querySelectorAll('#cache-donut circle.seg').length,
              formats: rows('formats'), cache: rows('cache-legend'), devices: rows('devices'),
              dprs: rows('dprs'), statuses: rows('statuses'), bytes: rows('bytes'),
              top: [...document.querySelectorAll('#top-images li[data-id]')].map(li => {
                const img = li.querySelector('img');
                return {id: li.dataset.id, requests: Number(li.dataset.requests), text: li.textContent,
                        src: img ? img.getAttribute('src') : '', alt: img ? img.alt : '',
                        naturalWidth: img && img.complete ? img.naturalWidth : 0};
              }),
            };
            """;

    @TempDir
    static Path root;

    private Server server;
    private Vertx vertx;
    private WebClient client;
    private ChromiumDriver browser;
    private String origin;
    private String photo;
    private String alpha;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(ChromiumDriver.available(), "chromium and chromium-driver are not installed");
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            photo = put(store, "photo.jpg", "image/jpeg");
            alpha = put(store, "alpha.png", "image/png");
        }
        server = Server.start(Config.fromEnv(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_ACCESS_LOG", "false")));
        origin = "http://127.0.0.1:" + server.port();
        vertx = Vertx.vertx();
        client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
        browser = ChromiumDriver.start(root, true);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (vertx != null) {
                    vertx.close().await(10, TimeUnit.SECONDS);
                }
            } finally {
                if (server != null) {
                    server.close();
                }
            }
        }
    }

    @Test
    void startsEmptyThenShowsTheAnalyticsOfImagesRequestedSinceWithoutAReload() throws Exception {
        browser.navigate(origin + "/");
        JsonObject before = await("the empty state", s -> s.getString("updated").startsWith("Updated"));
        assertThat(before.getBoolean("emptyShown")).isTrue();
        assertThat(before.getBoolean("shown")).isFalse();
        assertThat(before.getString("emptyText")).startsWith("No images served by this node yet.");
        assertThat(before.getString("error")).isEmpty();

        requestImages();

        JsonObject[] analytics = new JsonObject[1];
        JsonObject state = await("the dashboard to match /analytics with both thumbnails loaded", s -> {
            analytics[0] = analytics();
            return s.getBoolean("shown") && s.getJsonArray("top").size() == 2
                    && s.getJsonArray("top").stream().map(JsonObject.class::cast)
                            .allMatch(t -> t.getInteger("naturalWidth") == 96)
                    && matches(s, analytics[0]);
        });
        JsonObject a = analytics[0];
        assertThat(state.getBoolean("emptyShown")).isFalse();
        assertThat(state.getString("error")).isEmpty();

        // What was asked above (the dashboard's two thumbnails add WebP requests of their own).
        JsonObject formats = state.getJsonObject("formats");
        assertThat(formats.fieldNames()).containsExactlyInAnyOrder("webp", "avif", "jpg", "png");
        assertThat(formats.getJsonObject("avif").getString("text")).startsWith("AVIF1 · ");
        assertThat(formats.getJsonObject("jpg").getString("text")).startsWith("JPEG1 · ");
        assertThat(formats.getJsonObject("png").getString("text")).startsWith("PNG1 · ");
        assertThat(formats.getJsonObject("webp").getInteger("count")).isEqualTo(8);
        assertThat(state.getString("hitRatio")).isEqualTo(percent(a.getDouble("hitRatio"))).isEqualTo("36%");
        assertThat(state.getJsonObject("cache").getJsonObject("NOT-MODIFIED").getInteger("count")).isOne();
        assertThat(state.getInteger("arcs")).isEqualTo(3);
        assertThat(state.getJsonObject("devices").getJsonObject("mobile").getString("text")).startsWith("Phone2 · ");
        assertThat(state.getJsonObject("devices").getJsonObject("tablet").getInteger("count")).isOne();
        assertThat(state.getJsonObject("dprs").getJsonObject("2.0").getString("text")).startsWith("2×2 · ");
        assertThat(state.getJsonObject("statuses").getJsonObject("404").getString("text")).startsWith("404 Not found1 · ");
        assertThat(state.getString("total")).isEqualTo(a.getLong("requests").toString());
        assertThat(state.getString("saved")).isEqualTo(percent(a.getJsonObject("bytes").getDouble("savedRatio")));
        assertThat(state.getJsonObject("bytes").getJsonObject("ok").getLong("count"))
                .isEqualTo(a.getJsonObject("bytes").getLong("served"));

        // Most requested first: the photo six times plus its thumbnail, the PNG three times plus its own.
        JsonObject first = state.getJsonArray("top").getJsonObject(0);
        JsonObject second = state.getJsonArray("top").getJsonObject(1);
        assertThat(first.getString("id")).isEqualTo(photo);
        assertThat(first.getInteger("requests")).isEqualTo(7);
        assertThat(first.getString("text")).contains("7 requests");
        assertThat(first.getString("src")).isEqualTo("/w_96,h_96,c_fill/" + photo + ".webp");
        assertThat(first.getString("alt")).isEqualTo("Image " + photo.substring(0, 12));
        assertThat(second.getString("id")).isEqualTo(alpha);
        assertThat(second.getInteger("requests")).isEqualTo(4);

        Path screenshots = Files.createDirectories(Path.of("target", "screenshots"));
        browser.execute("document.getElementById('traffic').scrollIntoView();");
        Files.write(screenshots.resolve("dashboard.png"), browser.screenshot());
    }

    @Test
    void aFailedRefreshLeavesTheLastNumbersAndSaysSo() throws Exception {
        browser.navigate(origin + "/");
        JsonObject loaded = await("the first refresh", s -> s.getString("updated").startsWith("Updated"));
        // The server stays up; the page's next request fails as it would with the network down.
        browser.execute("window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));");
        JsonObject failed = await("the error note", s -> !s.getString("error").isEmpty());
        assertThat(failed.getString("error")).startsWith("Could not refresh (the server could not be reached)")
                .endsWith("Retrying.");
        assertThat(failed.getBoolean("shown")).isEqualTo(loaded.getBoolean("shown"));
        assertThat(failed.getBoolean("emptyShown")).isEqualTo(loaded.getBoolean("emptyShown"));
        assertThat(failed.getString("updated")).isEqualTo(loaded.getString("updated"));
    }

    /** A spread of formats, tiers, devices and pixel ratios, plus a 304 and a 404. */
    private void requestImages() throws Exception {
        String auto = "/f_auto,w_480/" + photo;
        assertThat(image(auto, "image/avif,image/webp,*/*", DESKTOP).getHeader("Content-Type")).isEqualTo("image/avif");
        HttpResponse<Buffer> webp = image(auto, "image/webp,*/*", DESKTOP);
        assertThat(webp.getHeader("Content-Type")).isEqualTo("image/webp");
        assertThat(image(auto, "image/webp,*/*", DESKTOP).getHeader("X-Cache")).isEqualTo("HIT-MEMORY");
        image(auto, "image/webp,*/*", DESKTOP);
        assertThat(image(auto, "image/jpeg", DESKTOP).getHeader("Content-Type")).isEqualTo("image/jpeg");
        HttpResponse<Buffer> notModified = client.get(auto).putHeader("Accept", "image/webp,*/*")
                .putHeader("User-Agent", DESKTOP).putHeader("If-None-Match", webp.getHeader("ETag"))
                .send().await(30, TimeUnit.SECONDS);
        assertThat(notModified.statusCode()).isEqualTo(304);

        image("/w_200,dpr_2.0/" + alpha + ".webp", "image/webp,*/*", PHONE);
        image("/w_200,dpr_2.0/" + alpha + ".webp", "image/webp,*/*", PHONE);
        assertThat(image("/w_200/" + alpha + ".png", "image/png,*/*", TABLET).getHeader("Content-Type"))
                .isEqualTo("image/png");
        assertThat(client.get("/w_200/" + "0".repeat(40) + ".webp").send().await(30, TimeUnit.SECONDS).statusCode())
                .isEqualTo(404);
    }

    private HttpResponse<Buffer> image(String path, String accept, String userAgent) throws Exception {
        HttpResponse<Buffer> response = client.get(path).putHeader("Accept", accept).putHeader("User-Agent", userAgent)
                .send().await(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response;
    }

    private JsonObject analytics() throws Exception {
        return client.get("/analytics?top=8").send().await(30, TimeUnit.SECONDS).bodyAsJsonObject();
    }

    /** Whether every number the dashboard shows is the one {@code /analytics} has now. */
    private static boolean matches(JsonObject shown, JsonObject a) {
        JsonArray top = a.getJsonArray("topImages");
        JsonArray shownTop = shown.getJsonArray("top");
        boolean sameTop = top.size() == shownTop.size();
        for (int i = 0; sameTop && i < top.size(); i++) {
            sameTop = top.getJsonObject(i).getString("id").equals(shownTop.getJsonObject(i).getString("id"))
                    && top.getJsonObject(i).getLong("requests") == shownTop.getJsonObject(i).getLong("requests");
        }
        return sameTop
                && shownCounts(shown.getJsonObject("formats")).equals(counts(a.getJsonObject("byFormat")))
                && shownCounts(shown.getJsonObject("devices")).equals(counts(a.getJsonObject("byDevice")))
                && shownCounts(shown.getJsonObject("dprs")).equals(counts(a.getJsonObject("byDpr")))
                && shownCounts(shown.getJsonObject("statuses")).equals(counts(a.getJsonObject("byStatus")))
                && shown.getString("hitRatio").equals(percent(a.getDouble("hitRatio")));
    }

    /** The rows the page shows, {key: {count, text}}, as {key: count}. */
    private static Map<String, Long> shownCounts(JsonObject rows) {
        return rows.fieldNames().stream().collect(Collectors.toMap(k -> k, k -> rows.getJsonObject(k).getLong("count")));
    }

    private static Map<String, Long> counts(JsonObject map) {
        return map.fieldNames().stream().collect(Collectors.toMap(k -> k, map::getLong));
    }

    private static String percent(double ratio) {
        return Math.round(ratio * 100) + "%";
    }

    /** Polls the dashboard until {@code done}; fails with the last state after the wait. */
    private JsonObject await(String what, Check done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        JsonObject state = new JsonObject();
        while (System.nanoTime() < deadline) {
            state = (JsonObject) browser.execute(DASHBOARD);
            if (done.test(state)) {
                return state;
            }
            Thread.sleep(250);
        }
        return fail("waited " + WAIT_SECONDS + " s for " + what + "; last: " + state.encode());
    }

    /** A condition on the page's state that may ask the server too. */
    @FunctionalInterface
    private interface Check {
        boolean test(JsonObject state) throws Exception;
    }

    private static String put(OriginalStore store, String fixture, String type) throws Exception {
        byte[] bytes = ServeImagesContract.fixture(fixture);
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        store.put(new ImageId(id), bytes, type);
        return id;
    }
}
