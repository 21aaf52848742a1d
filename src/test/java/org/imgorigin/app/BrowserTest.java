package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
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
        byte[] photo = ServeImagesContract.fixture("photo.jpg");
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(photo)).substring(0, 40);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), photo, "image/jpeg");
        }
        Vertx vertx = Vertx.vertx();
        try (Server server = Server.start(Config.fromEnv(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString())))) {
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
            HttpServer site = vertx.createHttpServer()
                    .requestHandler(r -> r.response().putHeader("Content-Type", "text/html").end(page))
                    .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            String dom = dumpDom("http://127.0.0.1:" + site.actualPort() + "/");
            Matcher title = Pattern.compile("<title>(.*?)</title>").matcher(dom);
            assertThat(title.find()).as(dom).isTrue();
            assertThat(title.group(1).replace("&quot;", "\""))
                    .isEqualTo("[\"300x169\",\"120x80\",\"error\"]");
            site.close().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private String dumpDom(String url) throws Exception {
        Path profile = Files.createTempDirectory(root, "chromium");
        Process process = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom", url))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }
}
