package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.imgorigin.http.SignedUploadsAccess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 in a real browser: headless Chromium on pages served from other loopback origins
 * (another port is another origin) uses imgorigin's images every way a site does — {@code <img>},
 * {@code <img crossorigin>}, a canvas read, {@code fetch()}, resource timing — on a plain page
 * and on a cross-origin-isolated one (COOP/COEP), and with a list of origins only on the listed
 * page; a page on an upload origin uploads a PNG it
 * drew through a signed URL, and a page on another origin is stopped by the preflight.
 * Skipped without Chromium and chromedriver.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossOriginBrowserTest {
    private static final String TOKEN = "browser-upload-token";

    @TempDir
    static Path root;
    private Vertx vertx;
    private HttpServer site;
    private HttpServer otherSite;
    private Server server;
    private ChromiumDriver chromium;
    private String id;
    private String images;
    /** A second server, granting only the site's origin (IMGORIGIN_ALLOW_ORIGIN as a list). */
    private Server listServer;
    private String listed;
    /** What the upload pages serve, set by the test before it navigates. */
    private final String[] uploadPage = new String[1];

    /** Checks every way of using an image, writes the outcome to window.result. */
    private static final String USE_PAGE = """
            <!doctype html><html><head><title>use</title></head><body><script>
            const base = '%1$s', id = '%2$s', w0 = %3$d;
            const url = w => `${base}/w_${w}/${id}.webp`;
            const load = (src, cors) => new Promise(resolve => {
              const img = new Image();
              if (cors) img.crossOrigin = 'anonymous';
              img.onload = () => resolve(img);
              img.onerror = () => resolve(null);
              img.src = src;
            });
            (async () => {
              const r = {isolated: window.crossOriginIsolated};
              const plain = await load(url(w0 + 1), false);
              r.img = plain ? plain.naturalWidth : 'error';
              const cors = await load(url(w0 + 2), true);
              r.imgCrossorigin = cors ? cors.naturalWidth : 'error';
              try {
                const canvas = document.createElement('canvas');
                canvas.width = 20; canvas.height = 20;
                canvas.getContext('2d').drawImage(cors, 0, 0, 20, 20);
                r.canvas = canvas.toDataURL('image/png').startsWith('data:image/png') ? 'read' : 'empty';
              } catch (e) { r.canvas = e.name; }
              try {
                const response = await fetch(url(w0 + 3));
                r.fetch = response.status + ' ' + response.headers.get('Content-Type') + ' '
                    + (await response.blob()).size;
              } catch (e) { r.fetch = e.name; }
              const timing = w => {
                const entry = performance.getEntriesByName(url(w))[0];
                return entry ? entry.transferSize : 'none';
              };
              r.timingImg = timing(w0 + 1);
              r.timingFetch = timing(w0 + 3);
              window.result = r;
            })();
            </script></body></html>
            """;

    /** Draws a PNG, posts it through the signed path, writes the answer (or the failure) to window.result. */
    private static final String UPLOAD_PAGE = """
            <!doctype html><html><head><title>upload</title></head><body><script>
            (async () => {
              try {
                const canvas = document.createElement('canvas');
                canvas.width = 64; canvas.height = 48;
                const g = canvas.getContext('2d');
                g.fillStyle = '#%3$s'; g.fillRect(0, 0, 64, 48);
                g.fillStyle = '#fff'; g.fillRect(8, 8, 20, 20);
                const blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/png'));
                const response = await fetch('%1$s' + '%2$s', {method: 'POST',
                    headers: {'Content-Type': 'image/png'}, body: blob});
                const body = await response.json();
                window.result = {status: response.status, id: body.id, width: body.width,
                    location: response.headers.get('Location')};
              } catch (e) {
                window.result = {error: e.name + ': ' + e.message};
              }
            })();
            </script></body></html>
            """;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(ChromiumDriver.available(), "Chromium or chromedriver is not installed");
        id = TestOrigin.store(root, "photo.jpg");
        vertx = Vertx.vertx();
        // The pages' site is started first: the server needs its origin for IMGORIGIN_UPLOAD_ORIGINS.
        site = vertx.createHttpServer().requestHandler(r -> {
            var response = r.response().putHeader("Content-Type", "text/html; charset=utf-8");
            if (r.path().equals("/isolated")) {
                response.putHeader("Cross-Origin-Opener-Policy", "same-origin")
                        .putHeader("Cross-Origin-Embedder-Policy", "require-corp");
            }
            // Each page its own variants: the browser's cache would otherwise answer the second.
            response.end(r.path().equals("/upload") ? uploadPage[0]
                    : r.path().equals("/list") ? USE_PAGE.formatted(listed, id, 300)
                    : USE_PAGE.formatted(images, id, r.path().equals("/isolated") ? 200 : 100));
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        otherSite = vertx.createHttpServer().requestHandler(r -> r.response()
                        .putHeader("Content-Type", "text/html; charset=utf-8")
                        .end(r.path().equals("/list") ? USE_PAGE.formatted(listed, id, 400) : uploadPage[0]))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        server = TestOrigin.start(root, "IMGORIGIN_UPLOAD_TOKEN", TOKEN,
                "IMGORIGIN_UPLOAD_ORIGINS", "http://127.0.0.1:" + site.actualPort());
        images = "http://127.0.0.1:" + server.port();
        TestOrigin.store(root.resolve("list"), "photo.jpg");
        listServer = TestOrigin.start(root.resolve("list"), "IMGORIGIN_ALLOW_ORIGIN",
                "https://www.example.com,http://127.0.0.1:" + site.actualPort());
        listed = "http://127.0.0.1:" + listServer.port();
        chromium = ChromiumDriver.start(root, true);
    }


    @AfterAll
    void stop() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
        if (listServer != null) {
            listServer.close();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private JsonObject resultOf(String url) throws Exception {
        chromium.navigate(url);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Object result = chromium.execute("return window.result === undefined ? null : window.result;");
            if (result instanceof JsonObject json) {
                return json;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the page at " + url + " wrote no result");
    }

    private void assertEveryUseWorks(JsonObject r, int w0) {
        assertThat(r.getValue("img")).as(r.encode()).isEqualTo(w0 + 1);
        assertThat(r.getValue("imgCrossorigin")).as(r.encode()).isEqualTo(w0 + 2);
        assertThat(r.getString("canvas")).as(r.encode()).isEqualTo("read");
        assertThat(r.getString("fetch")).as(r.encode()).matches("200 image/webp [1-9][0-9]*");
        // Timing-Allow-Origin: without it a cross-origin entry's transferSize is 0.
        assertThat(r.getValue("timingImg")).as(r.encode()).isInstanceOf(Number.class);
        assertThat(((Number) r.getValue("timingImg")).longValue()).as(r.encode()).isPositive();
        assertThat(((Number) r.getValue("timingFetch")).longValue()).as(r.encode()).isPositive();
    }

    @Test
    void aPageOnAnotherOriginUsesImagesEveryWay() throws Exception {
        JsonObject r = resultOf("http://127.0.0.1:" + site.actualPort() + "/plain");
        assertThat(r.getBoolean("isolated")).isFalse();
        assertEveryUseWorks(r, 100);
    }

    @Test
    void aCrossOriginIsolatedPageUsesImagesEveryWay() throws Exception {
        JsonObject r = resultOf("http://127.0.0.1:" + site.actualPort() + "/isolated");
        assertThat(r.getBoolean("isolated")).as(r.encode()).isTrue();
        assertEveryUseWorks(r, 200);
    }

    /**
     * With IMGORIGIN_ALLOW_ORIGIN listing the site: the site uses the images every way; a page
     * on an origin not listed still shows a plain {@code <img>}, and nothing more.
     */
    @Test
    void aListOfOriginsGrantsTheListedPageOnly() throws Exception {
        assertEveryUseWorks(resultOf("http://127.0.0.1:" + site.actualPort() + "/list"), 300);
        JsonObject other = resultOf("http://127.0.0.1:" + otherSite.actualPort() + "/list");
        assertThat(other.getValue("img")).as(other.encode()).isEqualTo(401);
        assertThat(other.getValue("imgCrossorigin")).as(other.encode()).isEqualTo("error");
        assertThat(other.getString("fetch")).as(other.encode()).isEqualTo("TypeError");
        assertThat(((Number) other.getValue("timingImg")).longValue()).as(other.encode()).isZero();
    }

    /** The home page's form takes a signed upload path in place of the token. */
    @Test
    void theHomePageUploadsThroughASignedPath() throws Exception {
        Path file = root.resolve("small.webp");
        java.nio.file.Files.write(file, ServeImagesContract.fixture("small.webp"));
        String signed = SignedUploadsAccess.sign(TOKEN, System.currentTimeMillis() / 1000 + 300, nonce());
        chromium.navigate(images + "/");
        chromium.execute("document.getElementById('token-row').open = true;");
        chromium.sendKeys(chromium.find("#token"), signed);
        chromium.sendKeys(chromium.find("#upload input[type=file][name=file]"), file.toString());
        chromium.click(chromium.find("#upload button[type=submit]"));
        String status = awaitStatus("Stored");
        assertThat(status).contains("Stored small.webp as ");
        // Used up: the same path again is refused, and the page says why.
        chromium.execute("document.getElementById('token-row').open = true;");
        chromium.sendKeys(chromium.find("#token"), signed);
        chromium.sendKeys(chromium.find("#upload input[type=file][name=file]"), file.toString());
        chromium.click(chromium.find("#upload button[type=submit]"));
        assertThat(awaitStatus("failed")).contains("(403)", "already used", "sign-upload");
    }

    private String awaitStatus(String fragment) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String status = "";
        while (System.nanoTime() < deadline) {
            status = String.valueOf(chromium.execute("return document.getElementById('status').textContent;"));
            if (status.contains(fragment)) {
                return status;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the status line never said '" + fragment + "': " + status);
    }

    private static String nonce() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void aPageOnAnUploadOriginUploadsWhatItDrewAndAnotherOriginIsRefused() throws Exception {
        long expires = System.currentTimeMillis() / 1000 + 300;
        String signed = SignedUploadsAccess.sign(TOKEN, expires, nonce());
        uploadPage[0] = UPLOAD_PAGE.formatted(images, signed, "3366cc");
        JsonObject uploaded = resultOf("http://127.0.0.1:" + site.actualPort() + "/upload");
        assertThat(uploaded.getInteger("status")).as(uploaded.encode()).isEqualTo(201);
        assertThat(uploaded.getString("id")).matches("[0-9a-f]{16,64}");
        assertThat(uploaded.getInteger("width")).isEqualTo(64);
        assertThat(uploaded.getString("location")).isEqualTo("/" + uploaded.getString("id") + ".png");
        WebClient client = WebClient.create(vertx);
        assertThat(client.get(server.port(), "127.0.0.1", "/" + uploaded.getString("id") + ".png").send()
                .await(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        // The same flow from a page on an origin not in IMGORIGIN_UPLOAD_ORIGINS: the preflight
        // is refused, so the POST is never sent and the URL stays unused.
        String another = SignedUploadsAccess.sign(TOKEN, expires, nonce());
        uploadPage[0] = UPLOAD_PAGE.formatted(images, another, "cc3333");
        JsonObject refused = resultOf("http://127.0.0.1:" + otherSite.actualPort() + "/");
        assertThat(refused.getString("error")).as(refused.encode()).startsWith("TypeError");
        var fromBackend = client.request(HttpMethod.POST, server.port(), "127.0.0.1", another)
                .putHeader("Content-Type", "image/png").sendBuffer(Buffer.buffer(SignedUploadTest.fixture("alpha.png")))
                .await(30, TimeUnit.SECONDS);
        assertThat(fromBackend.statusCode()).as(fromBackend.bodyAsString()).isIn(200, 201);
    }
}
