package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imgorigin.testing.Commands;
import org.imgorigin.vips.Vips;
import org.imgorigin.vips.VipsScope;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black box, in a JVM of its own: {@code IMGORIGIN_LIBVIPS} pointed at a libvips that is not
 * Debian's, the one sharp bundles (npm's {@code @img/sharp-libvips-linux-x64}, installed here;
 * libvips 8.17, built with libspng instead of libpng and without libjxl), which README offers
 * and docs/benchmarks.md measures. Every output format that build can write answers, checked
 * by the tests' own libvips; JPEG XL, which it cannot, is refused by name. Before, every PNG
 * answer was a 500: that build has no {@code vips_pngsave_buffer} and its PNG saver has another
 * class name, which stayed blocked. Skipped when npm or the npm registry is not available.
 */
class OtherLibvipsTest {
    /** The version sharp 0.34 (ipx 3.1.1's, bench/peers.sh's) installs: libvips 8.17.3. */
    private static final String PACKAGE = "@img/sharp-libvips-linux-x64@1.2.4";

    @TempDir
    Path root;

    @Test
    void sharpsLibvipsAnswersEveryFormatItWritesAndRefusesJpegXlByName() throws Exception {
        Path npm = Files.createDirectories(root.resolve("npm"));
        Assumptions.assumeTrue(Commands.run(List.of("npm", "install", "--prefix", npm.toString(), "--no-audit",
                "--no-fund", "--loglevel=error", PACKAGE), npm, 180).isPresent(),
                "npm or the npm registry is not available");
        Path library;
        try (Stream<Path> files = Files.walk(npm.resolve("node_modules"))) {
            library = files.filter(p -> p.getFileName().toString().startsWith("libvips-cpp.so.")).findFirst()
                    .orElseThrow(() -> new AssertionError(PACKAGE + " has no libvips-cpp.so"));
        }
        String photo = TestOrigin.store(root, "photo.jpg"); // 1200×675
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (ServerProcess server = ServerProcess.start(root, List.of(), "IMGORIGIN_LIBVIPS", library.toString());
                http) {
            assertThat(server.log()).contains("(libvips 8.17.");
            Map<String, String> types = Map.of("png", "image/png", "jpg", "image/jpeg", "webp", "image/webp",
                    "avif", "image/avif", "gif", "image/gif");
            for (var type : types.entrySet()) {
                HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                        URI.create(server.base() + "/w_300/" + photo + "." + type.getKey()))
                        .timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(response.statusCode()).as(type.getKey()).isEqualTo(200);
                assertThat(response.headers().firstValue("Content-Type")).as(type.getKey()).hasValue(type.getValue());
                try (VipsScope scope = Vips.scope()) {
                    VipsScope.Header header = scope.header(scope.buffer(response.body()));
                    assertThat(header.width()).as(type.getKey()).isEqualTo(300);
                    assertThat(header.height()).as(type.getKey()).isEqualTo(169);
                }
            }
            HttpResponse<String> jxl = http.send(HttpRequest.newBuilder(
                    URI.create(server.base() + "/w_300/" + photo + ".jxl")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(jxl.statusCode()).isEqualTo(400);
            assertThat(jxl.body()).contains("cannot write JPEG XL");
            assertThat(server.log()).doesNotContain("internal error").doesNotContain("Exception");
        }
    }
}
