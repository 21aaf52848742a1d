package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.imgorigin.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The home page in a real browser: headless Chromium, driven over WebDriver, picks a file in
 * the upload form, submits it and must then show the stored image and its snippets. Skipped
 * without Debian's {@code chromium} and {@code chromium-driver}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UploadPageTest {
    private static final long WAIT_SECONDS = 20;
    /** The state of the card for one id, or {@code {found: false}}, plus the status line. */
    private static final String CARD = """
            const id = arguments[0];
            const items = [...document.querySelectorAll('#uploads li.upload')];
            const item = items.find(li => li.dataset.id === id);
            const status = document.getElementById('status');
            const state = {found: !!item, status: status.textContent, statusClass: status.className,
                           count: items.filter(li => li.dataset.id === id).length};
            if (!item) return state;
            const img = item.querySelector('img.thumb');
            return Object.assign(state, {
              position: items.indexOf(item),
              naturalWidth: img.complete ? img.naturalWidth : 0,
              src: img.getAttribute('src'),
              shownId: item.querySelector('.id').textContent,
              snippets: [...item.querySelectorAll('pre')].map(p => p.textContent)});
            """;

    @TempDir
    static Path root;

    private Server server;
    private ChromiumDriver browser;
    private String origin;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(ChromiumDriver.available(), "chromium and chromium-driver are not installed");
        server = Server.start(Config.fromEnv(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString())));
        origin = "http://127.0.0.1:" + server.port();
        browser = ChromiumDriver.start(root, true);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void anUploadedPhotoAppearsWithItsThumbnailAndSnippets() throws Exception {
        Path photo = copyOfFixture("photo.jpg");
        String id = idOf(Files.readAllBytes(photo));
        browser.navigate(origin + "/");
        submit(photo);

        JsonObject card = awaitCard(id, c -> c.getInteger("naturalWidth", 0) == 300);
        assertThat(card.getString("shownId")).isEqualTo(id);
        assertThat(card.getInteger("position")).isZero();
        assertThat(card.getString("src")).isEqualTo("/w_300/" + id + ".webp");
        assertThat(card.getString("status")).contains("Stored photo.jpg as " + id);
        assertThat(card.getString("statusClass")).isEqualTo("ok");
        var snippets = card.getJsonArray("snippets").stream().map(String.class::cast).toList();
        assertThat(snippets).hasSize(4).allSatisfy(s -> assertThat(s).contains(id).startsWith("<img "));
        assertThat(snippets.get(0)).isEqualTo(
                "<img src=\"" + origin + "/w_300/" + id + ".webp\" width=\"300\" height=\"169\" alt=\"\">");
        // The photo is 1200 px wide: the largest candidate is the original's width, not an upscaled 1280.
        assertThat(snippets.get(1)).contains(
                "srcset=\"" + origin + "/f_auto,q_auto,w_320/" + id + " 320w,",
                origin + "/f_auto,q_auto,w_640/" + id + " 640w,",
                origin + "/f_auto,q_auto,w_1200/" + id + " 1200w\"",
                "sizes=\"(max-width: 640px) 100vw, 640px\"").doesNotContain("w_1280");
        assertThat(snippets.get(2)).contains(origin + "/w_300,dpr_2.0/" + id + ".webp 2x");
        assertThat(snippets.get(3)).contains("style=\"background: url(" + origin + "/w_32,e_blur:200,q_30/" + id
                + ".webp) center / cover\"");

        Path screenshots = Files.createDirectories(Path.of("target", "screenshots"));
        Files.write(screenshots.resolve("upload-page.png"), browser.screenshot());

        // The same bytes again: the server answers 200, and the page keeps one card for them.
        submit(photo);
        card = awaitCard(id, c -> c.getString("status").startsWith("Already stored"));
        assertThat(card.getInteger("count")).isEqualTo(1);
    }

    @Test
    void reloadingListsTheUploadFromTheServer() throws Exception {
        Path alpha = copyOfFixture("alpha.png");
        String id = idOf(Files.readAllBytes(alpha));
        browser.navigate(origin + "/");
        submit(alpha);
        awaitCard(id, c -> c.getInteger("naturalWidth", 0) == 300);

        assertThat(get("/")).contains("\"id\":\"" + id + "\"");
        browser.refresh();
        JsonObject card = awaitCard(id, c -> c.getInteger("naturalWidth", 0) == 300);
        assertThat(card.getString("status")).as("a fresh page, not the one that uploaded").isEmpty();
        assertThat(card.getInteger("position")).isZero();
        assertThat(card.getString("shownId")).isEqualTo(id);
    }

    @Test
    void aFileDroppedOnThePageIsUploaded() throws Exception {
        byte[] webp = ServeImagesContract.fixture("small.webp");
        String id = idOf(webp);
        browser.navigate(origin + "/");
        // What the browser dispatches when a file is dragged from the desktop and dropped on the page.
        browser.execute("""
                const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], 'dropped.webp', {type: 'image/webp'}));
                for (const type of ['dragenter', 'dragover', 'drop']) {
                  document.body.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
                }
                """, Base64.getEncoder().encodeToString(webp));
        JsonObject card = awaitCard(id, c -> c.getInteger("naturalWidth", 0) == 300);
        assertThat(card.getString("status")).contains("Stored dropped.webp as " + id);
        assertThat(browser.execute("return document.getElementById('overlay').hidden;")).isEqualTo(true);
    }

    @Test
    void aFileThatIsNotAnImageShowsTheServersError() throws Exception {
        Path text = root.resolve("notes.txt");
        Files.writeString(text, "these are notes, not an image\n");
        JsonObject direct = new JsonObject(postMultipart(text));
        assertThat(direct.getInteger("status")).isEqualTo(415);
        String error = direct.getString("error");

        browser.navigate(origin + "/");
        int before = ((Number) browser.execute("return document.querySelectorAll('#uploads li.upload').length;"))
                .intValue();
        submit(text);
        JsonObject state = awaitCard("none", c -> c.getString("statusClass").equals("error"));
        assertThat(state.getString("status")).contains("notes.txt", "(415)", error);
        assertThat(((Number) browser.execute("return document.querySelectorAll('#uploads li.upload').length;"))
                .intValue()).isEqualTo(before);
        Files.write(Files.createDirectories(Path.of("target", "screenshots")).resolve("upload-page-error.png"),
                browser.screenshot());
    }

    @Test
    void withoutJavaScriptTheFormPostsToTheServer() throws Exception {
        Path gif = copyOfFixture("small.gif");
        String id = idOf(Files.readAllBytes(gif));
        try (ChromiumDriver plain = ChromiumDriver.start(root, false)) {
            plain.navigate(origin + "/");
            plain.sendKeys(plain.find("#upload input[type=file][name=file]"), gif.toString());
            plain.click(plain.find("#upload button[type=submit]"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            String body = "";
            while (!body.contains(id) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                body = plain.text(plain.find("body"));
            }
            assertThat(body).contains("\"id\":\"" + id + "\"", "\"url\":\"/" + id + ".gif\"");
        }
    }

    private void submit(Path file) throws Exception {
        browser.sendKeys(browser.find("#upload input[type=file][name=file]"), file.toAbsolutePath().toString());
        browser.click(browser.find("#upload button[type=submit]"));
    }

    /** Polls the page until the card state satisfies {@code done}; fails with the last state after the wait. */
    private JsonObject awaitCard(String id, Predicate<JsonObject> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        JsonObject state = new JsonObject();
        while (System.nanoTime() < deadline) {
            state = (JsonObject) browser.execute(CARD, id);
            if (done.test(state)) {
                return state;
            }
            Thread.sleep(200);
        }
        return fail("the page did not reach the expected state within " + WAIT_SECONDS + " s; last: " + state.encode());
    }

    private Path copyOfFixture(String name) throws Exception {
        Path copy = Files.createDirectories(root.resolve("files")).resolve(name);
        Files.write(copy, ServeImagesContract.fixture(name));
        return copy;
    }

    private static String idOf(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
    }

    /** HTTP/1.1, as a browser speaks to a plain-http origin (no h2c upgrade). */
    private static HttpClient http11() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    private String get(String path) throws Exception {
        try (HttpClient http = http11()) {
            return http.send(HttpRequest.newBuilder(URI.create(origin + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** What the server answers a form that posts {@code file}, as a browser would send it. */
    private String postMultipart(Path file) throws Exception {
        String boundary = "imgorigin-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + file.getFileName() + "\"\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(file));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        try (HttpClient http = http11()) {
            return http.send(HttpRequest.newBuilder(URI.create(origin + "/images"))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
