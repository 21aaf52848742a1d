package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a browser does with our URLs: headless Chromium loads a page (served from loopback,
 * as a site would serve it) whose {@code <img>} tags point at imgorigin, and reports what it
 * decoded. {@code bin/imgorigin test} installs Chromium; without it this test is skipped.
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path root;

    @Test
    void chromiumShowsA300PixelWebpFromAnImgTag() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed");
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            String origin = "http://127.0.0.1:" + server.port();
            String page = """
                    <!doctype html><html><head><title>pending</title></head><body>
                    <img id="a" src="%1$s/w_300,q_80/%2$s.webp">
                    <img id="b" src="%1$s/c_fill,w_120,h_80,g_auto/%2$s.avif">
                    <img id="c" src="%1$s/w_abc/%2$s.webp">
                    <script>
                    const ids = ['a', 'b', 'c'];
                    let left = ids.length;
                    const report = {};
                    for (const id of ids) {
                      const img = document.getElementById(id);
                      const done = ok => {
                        report[id] = ok ? img.naturalWidth + 'x' + img.naturalHeight : 'error';
                        if (--left === 0) document.title = JSON.stringify(ids.map(i => report[i]));
                      };
                      if (img.complete) done(img.naturalWidth > 0);
                      else { img.onload = () => done(true); img.onerror = () => done(false); }
                    }
                    </script></body></html>
                    """.formatted(origin, id);
            assertThat(titleAfterLoading(vertx, page).replace("&quot;", "\""))
                    .isEqualTo("[\"300x169\",\"120x80\",\"error\"]");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void chromiumGetsAvifFromFAutoAndPicksTheDprCandidateOnADenseScreen() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed");
        String id = TestOrigin.store(root, "photo.jpg");
        Vertx vertx = Vertx.vertx();
        try (Server server = TestOrigin.start(root)) {
            String origin = "http://127.0.0.1:" + server.port();
            String page = """
                    <!doctype html><html><head><title>pending</title></head><body>
                    <img id="auto" src="%1$s/w_300,f_auto/%2$s">
                    <img id="dense" src="%1$s/w_300/%2$s.webp"
                         srcset="%1$s/w_300/%2$s.webp 1x, %1$s/w_300,dpr_2.0/%2$s.webp 2x">
                    <script>
                    window.onload = () => {
                      const a = document.getElementById('auto'), d = document.getElementById('dense');
                      document.title = JSON.stringify([a.naturalWidth, d.naturalWidth,
                          d.currentSrc.includes('dpr_2.0'), window.devicePixelRatio]);
                    };
                    </script></body></html>
                    """.formatted(origin, id);
            // 300 CSS pixels wide either way: the 2x candidate is 600 px drawn at density 2.
            assertThat(titleAfterLoading(vertx, page, "--force-device-scale-factor=2")).isEqualTo("[300,300,true,2]");
            var analytics = io.vertx.ext.web.client.WebClient.create(vertx)
                    .get(server.port(), "127.0.0.1", "/analytics").send().await(10, TimeUnit.SECONDS)
                    .bodyAsJsonObject();
            // Chromium's Accept lists AVIF, so f_auto answered AVIF; the srcset fetched only the 2x WebP.
            assertThat(analytics.getJsonObject("byFormat").getLong("avif")).isEqualTo(1);
            assertThat(analytics.getJsonObject("byFormat").getLong("webp")).isEqualTo(1);
            assertThat(analytics.getJsonObject("byDpr").getLong("2.0")).isEqualTo(1);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Serves {@code page} from loopback as a site would (Chromium's private network access
     * rules block loopback images on a data: page), loads it in headless Chromium, and
     * returns the document title the page's script wrote.
     */
    private String titleAfterLoading(Vertx vertx, String page, String... chromiumFlags) throws Exception {
        HttpServer site = vertx.createHttpServer()
                .requestHandler(r -> r.response().putHeader("Content-Type", "text/html").end(page))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        try {
            String dom = dumpDom("http://127.0.0.1:" + site.actualPort() + "/", chromiumFlags);
            Matcher title = Pattern.compile("<title>(.*?)</title>").matcher(dom);
            assertThat(title.find()).as(dom).isTrue();
            return title.group(1);
        } finally {
            site.close().await(10, TimeUnit.SECONDS);
        }
    }

    private String dumpDom(String url, String... extraFlags) throws Exception {
        Path profile = Files.createTempDirectory(root, "chromium");
        List<String> command = new java.util.ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=10000"));
        command.addAll(List.of(extraFlags));
        command.addAll(List.of("--dump-dom", url));
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }
}
