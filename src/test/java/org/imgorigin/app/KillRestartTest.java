package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.url.TransformationParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} in the middle of renders and uploads, twice, on a server in its own JVM:
 * afterwards every original on disk is whole (its bytes hash to its name), every cached
 * variant decodes to its last pixel row, and the restarted server serves everything it had
 * acknowledged, re-rendering what it had not finished.
 */
class KillRestartTest {
    @TempDir
    Path root;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void killedDuringRendersAndUploadsRestartsWithNothingHalfWritten() throws Exception {
        String photo = TestOrigin.store(root, "photo.jpg");
        String alpha = TestOrigin.store(root, "alpha.png");
        List<String> acknowledged = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            ServerProcess server = start();
            try {
                String base = server.base();
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                // Renders: distinct large variants, so several are mid-encode or mid-write at the kill.
                for (int i = 0; i < 24; i++) {
                    String id = i % 2 == 0 ? photo : alpha;
                    String ext = new String[] {"avif", "webp", "png", "jpg"}[i % 4];
                    inFlight.add(send(HttpRequest.newBuilder(URI.create(base + "/w_" + (900 + 10 * round + i) + "/"
                            + id + "." + ext)).build()));
                }
                // Uploads: new images (distinct bytes), some complete and some mid-body at the kill.
                for (int i = 0; i < 12; i++) {
                    byte[] image = HostileInputs.png(400 + 40 * round + i, 300);
                    inFlight.add(send(HttpRequest.newBuilder(URI.create(base + "/images"))
                            .header("Content-Type", "image/png")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build()));
                }
                // And one upload that is surely mid-body: 4 MB trickled over ten seconds.
                byte[] big = HostileInputs.png(2000 + round, 2000);
                inFlight.add(send(HttpRequest.newBuilder(URI.create(base + "/images"))
                        .header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SlowStream(big))).build()));
                // Kill once an upload has been acknowledged (a loaded machine may take a while),
                // while the large renders are still going.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (storedSoFar(inFlight).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(200);
                acknowledged.addAll(storedSoFar(inFlight));
                assertThat(inFlight).as("requests still in flight at the kill").anyMatch(f -> !f.isDone());
            } finally {
                server.kill();
            }
            assertEverythingOnDiskIsWhole();
        }
        assertThat(acknowledged).as("some uploads finished before a kill").isNotEmpty();

        try (ServerProcess server = start()) {
            String base = server.base();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            for (String id : acknowledged) {
                assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/w_50/" + id + ".webp")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode()).as("acknowledged upload %s", id)
                        .isEqualTo(200);
            }
            for (int i = 0; i < 24; i++) {
                String id = i % 2 == 0 ? photo : alpha;
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/w_" + (900 + i) + "/"
                        + id + "." + new String[] {"avif", "webp", "png", "jpg"}[i % 4])).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertWhole(r.body(), "served variant " + i);
            }
        }
        assertThat(files(root.resolve("cache")).stream().map(p -> p.getFileName().toString()))
                .as("the restart's index rebuild removed the killed writes' temporaries")
                .noneMatch(name -> name.startsWith(".tmp-"));
    }

    private void assertEverythingOnDiskIsWhole() throws Exception {
        for (Path original : files(root.resolve("originals"))) {
            String name = original.getFileName().toString();
            if (name.startsWith(".")) {
                continue; // a temporary of an unfinished upload: never read, never served
            }
            assertThat(TestOrigin.idOf(Files.readAllBytes(original))).as("original %s is whole", name)
                    .isEqualTo(name);
        }
        for (Path variant : files(root.resolve("cache"))) {
            // state/ holds the node's own records (the journal's read position), not images.
            if (!variant.getFileName().toString().startsWith(".tmp-") && !variant.startsWith(root.resolve("cache/state"))) {
                assertWhole(Files.readAllBytes(variant), "cached " + root.relativize(variant));
            }
        }
    }

    /** Decodes every row (libvips fails truncated images): a cut file cannot pass. */
    private static void assertWhole(byte[] image, String what) {
        try {
            new Renderer(RenderLimits.DEFAULTS).render(image, TransformationParser.parse("w_16", org.imgorigin.url.Presets.NONE), ImageFormat.PNG);
        } catch (RenderException e) {
            throw new AssertionError(what + " does not decode: " + e.getMessage() + " " + e.detail());
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    /** The ids of the uploads answered 201 so far. */
    private static List<String> storedSoFar(List<CompletableFuture<HttpResponse<String>>> requests) {
        return requests.stream().map(f -> f.getNow(null)).filter(r -> r != null && r.statusCode() == 201)
                .map(r -> r.body().replaceAll(".*\"id\":\"([0-9a-f]+)\".*", "$1")).toList();
    }

    /** A body that arrives 64 KB at a time, 150 ms apart. */
    private static final class SlowStream extends java.io.InputStream {
        private final java.io.ByteArrayInputStream bytes;

        SlowStream(byte[] content) {
            this.bytes = new java.io.ByteArrayInputStream(content);
        }

        @Override
        public int read() {
            return bytes.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return bytes.read(b, off, Math.min(len, 64 * 1024));
        }
    }

    private ServerProcess start() throws Exception {
        return ServerProcess.start(root, List.of("-Xmx512m"), "IMGORIGIN_WORKERS", "2", "IMGORIGIN_QUEUE", "64");
    }

    private CompletableFuture<HttpResponse<String>> send(HttpRequest request) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

}
