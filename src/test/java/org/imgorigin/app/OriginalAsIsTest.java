package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.Injected;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Black box: originals carrying metadata and payloads ({@link Injected}: a {@code <?php} in a
 * PNG text chunk or after the JPEG end marker, an author in XMP, a home path in IPTC) are
 * stored, and every URL that may be answered by the original itself (same format and size,
 * the re-encode heavier) serves bytes with none of them, at the original's dimensions. The
 * server's own count shows the original did answer for JPEG, PNG and WebP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OriginalAsIsTest {
    @TempDir
    static Path root;
    Server server;
    HttpClient http;

    @BeforeAll
    void start() throws Exception {
        server = TestOrigin.start(root);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        server.close();
    }

    static Stream<Arguments> originals() {
        return Stream.of(
                Arguments.of("jpg", (Supplier<byte[]>) Injected::jpeg, true),
                Arguments.of("png", (Supplier<byte[]>) () -> Injected.png(Injected.tightPng()), true),
                Arguments.of("png", (Supplier<byte[]>) () -> Injected.png("alpha.png"), false),
                // libvips' GIF re-encode of every GIF tried here came out lighter than the original,
                // so the original never answers; StripTest covers GifStrip itself.
                Arguments.of("gif", (Supplier<byte[]>) Injected::gif, false),
                Arguments.of("webp", (Supplier<byte[]>) Injected::webp, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("originals")
    void noInjectedPartReachesTheClient(String ext, Supplier<byte[]> original, boolean originalAnswers)
            throws Exception {
        byte[] bytes = original.get();
        String id = TestOrigin.idOf(bytes);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), bytes, "application/octet-stream");
        }
        SourceInfo info = ServeImagesContract.INSPECTOR.inspect(bytes);
        double avoidedBefore = heavierAvoided();
        for (String path : new String[] {"/" + id, "/" + id + "." + ext, "/w_" + info.width() + "/" + id + "." + ext,
                "/q_100/" + id + "." + ext, "/w_" + info.width() + ",q_100/" + id, "/w_64/" + id + "." + ext}) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            String body = new String(r.body(), StandardCharsets.ISO_8859_1);
            for (String marker : Injected.MARKERS) {
                assertThat(body).as(path + " carries no " + marker).doesNotContain(marker);
            }
            SourceInfo served = ServeImagesContract.INSPECTOR.inspect(r.body());
            if (!path.contains("w_64")) {
                assertThat(served.width() + "x" + served.height()).as(path)
                        .isEqualTo(info.width() + "x" + info.height());
            }
        }
        if (originalAnswers) {
            assertThat(heavierAvoided()).as("the original answered at least one of the URLs")
                    .isGreaterThan(avoidedBefore);
        }
    }

    private double heavierAvoided() throws Exception {
        String metrics = new String(get("/metrics").body(), StandardCharsets.UTF_8);
        return metrics.lines().filter(l -> l.startsWith("imgorigin_heavier_avoided_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }
}
