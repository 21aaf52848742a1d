package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache disk full, then read-only, for real: a 4 MB tmpfs mounted as the cache directory
 * (root only; skipped elsewhere). Every request is still answered by rendering, no partial
 * file is left, {@code /readyz} and the metrics say why, and caching resumes by itself once
 * the disk takes writes again.
 */
class CacheDiskFaultTest {
    @TempDir
    Path root;
    private Path cache;
    private boolean mounted;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void mountSmallDisk() throws Exception {
        cache = Files.createDirectories(root.resolve("cache"));
        mounted = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", cache.toString()) == 0;
        assumeTrue(mounted, "mounting a tmpfs needs root (CI runs as root)");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", "-l", cache.toString());
        }
    }

    @Test
    void aFullThenReadOnlyCacheDiskIsReportedAndServedAround() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        try (Server server = TestOrigin.start(root, "IMGORIGIN_MEMORY_CACHE_BYTES", "0")) {
            String base = "http://127.0.0.1:" + server.port();
            assertThat(get(base + "/readyz").body()).contains("\"ready\"");

            // Fill the disk to the last byte.
            Path filler = cache.resolve("filler");
            try (var out = Files.newOutputStream(filler)) {
                byte[] block = new byte[64 * 1024];
                while (true) {
                    out.write(block);
                }
            } catch (IOException full) {
                assertThat(full.getMessage()).contains("No space left on device");
            }

            for (int w = 300; w < 310; w++) {
                HttpResponse<byte[]> r = getBytes(base + "/w_" + w + "/" + id + ".jpg");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Cache")).contains("MISS");
                assertThat(r.body().length).isGreaterThan(1000);
            }
            // Asked again: rendered again, since nothing could be kept.
            assertThat(getBytes(base + "/w_300/" + id + ".jpg").headers().firstValue("X-Cache")).contains("MISS");
            assertThat(variantFiles()).as("no file, whole or partial, was left on the full disk").isEmpty();
            HttpResponse<String> ready = get(base + "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"degraded\"").contains("No space left on device");
            String metrics = get(base + "/metrics").body();
            assertThat(metrics).contains("imgorigin_cache_disk_writable 0");
            assertThat(counter(metrics, "imgorigin_cache_write_failures_total")).isGreaterThanOrEqualTo(10);
            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);

            // Space again: /readyz's probe sees it, and variants are cached once more.
            Files.delete(filler);
            assertThat(get(base + "/readyz").body()).contains("\"ready\"").doesNotContain("degraded");
            getBytes(base + "/w_300/" + id + ".jpg");
            assertThat(getBytes(base + "/w_300/" + id + ".jpg").headers().firstValue("X-Cache")).contains("HIT-DISK");
            assertThat(get(base + "/metrics").body()).contains("imgorigin_cache_disk_writable 1");

            // Read-only: hits on what is there go on; new variants are rendered, not cached.
            assertThat(run("mount", "-o", "remount,ro", cache.toString())).isZero();
            assertThat(getBytes(base + "/w_300/" + id + ".jpg").headers().firstValue("X-Cache")).contains("HIT-DISK");
            HttpResponse<byte[]> fresh = getBytes(base + "/w_400/" + id + ".webp");
            assertThat(fresh.statusCode()).isEqualTo(200);
            assertThat(getBytes(base + "/w_400/" + id + ".webp").headers().firstValue("X-Cache")).contains("MISS");
            assertThat(get(base + "/readyz").body()).contains("\"degraded\"").contains("Read-only file system");

            assertThat(run("mount", "-o", "remount,rw", cache.toString())).isZero();
            assertThat(get(base + "/readyz").body()).contains("\"ready\"");
        }
    }

    private List<Path> variantFiles() throws IOException {
        try (Stream<Path> files = Files.walk(cache)) {
            return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("filler"))
                    .filter(p -> !p.startsWith(cache.resolve("state"))) // the node's records, e.g. the journal's position
                    .toList();
        }
    }

    private static long counter(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(name.length() + 1).strip())).orElse(-1L);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static int run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException notInstalled) {
            return -1;
        }
    }
}
