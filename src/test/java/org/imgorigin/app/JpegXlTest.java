package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black box, over HTTP: JPEG XL is an output format ({@code f_jxl}, {@code .jxl}, and
 * {@code f_auto} for an {@code Accept} that lists {@code image/jxl}, as Safari 17+ sends), and
 * never an input: an upload or a stored original in JPEG XL is refused by name. The server
 * does not decode JPEG XL, so answers are measured with libvips' {@code vipsheader} command.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JpegXlTest {
    private static final String TOKEN = "jxl-upload-token";
    private static final String SAFARI_17 = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,"
            + "video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
    private static final String CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

    @TempDir
    static Path root;
    Server server;
    HttpClient http;
    String photo;
    String alpha;

    @BeforeAll
    void start() throws Exception {
        photo = TestOrigin.store(root, "photo.jpg"); // 1200×675
        alpha = TestOrigin.store(root, "alpha.png"); // 480×269, transparent corners
        server = TestOrigin.start(root, "IMGORIGIN_UPLOAD_TOKEN", TOKEN);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        server.close();
    }

    @Test
    void fJxlAndTheJxlExtensionAnswerOneJpegXlVariant() throws Exception {
        HttpResponse<byte[]> named = get("/w_300,f_jxl/" + photo, "Accept", CHROME);
        assertJpegXl(named, "300", "169", "3");
        assertThat(named.headers().firstValue("Vary").orElse("")).doesNotContain("Accept");

        HttpResponse<byte[]> extension = get("/w_300/" + photo + ".jxl");
        assertJpegXl(extension, "300", "169", "3");
        assertThat(extension.headers().firstValue("ETag")).isEqualTo(named.headers().firstValue("ETag"));
        assertThat(extension.body()).isEqualTo(named.body());

        // Transparency is kept, as in AVIF and WebP.
        assertJpegXl(get("/w_200/" + alpha + ".jxl"), "200", "112", "4");
    }

    @Test
    void fAutoAnswersJpegXlWhenAcceptListsIt() throws Exception {
        String url = "/w_300,f_auto/" + photo;
        HttpResponse<byte[]> safari = get(url, "Accept", SAFARI_17);
        assertJpegXl(safari, "300", "169", "3");
        assertThat(safari.headers().firstValue("Vary").orElse("")).contains("Accept");

        HttpResponse<byte[]> chrome = get(url, "Accept", CHROME);
        assertThat(chrome.statusCode()).isEqualTo(200);
        assertThat(chrome.headers().firstValue("Content-Type")).contains("image/avif");
        assertThat(chrome.headers().firstValue("Vary").orElse("")).contains("Accept");

        HttpResponse<byte[]> refused = get(url, "Accept", "image/jxl;q=0, image/webp");
        assertThat(refused.headers().firstValue("Content-Type")).contains("image/webp");
    }

    @Test
    void anUnknownFormatIsRefusedNamingJxlAmongTheFormats() throws Exception {
        HttpResponse<byte[]> r = get("/w_300,f_bmp/" + photo);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("jxl");
        HttpResponse<byte[]> ext = get("/w_300/" + photo + ".bmp");
        assertThat(ext.statusCode()).isEqualTo(400);
        assertThat(new String(ext.body(), StandardCharsets.UTF_8)).contains("jxl");
    }

    @Test
    void jpegXlIsNeverReadFromAnUploadOrAnOriginal() throws Exception {
        byte[] jxl = get("/w_120/" + photo + ".jxl").body();

        HttpResponse<byte[]> upload = http.send(HttpRequest.newBuilder(URI.create(base() + "/images"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "image/jxl")
                .POST(HttpRequest.BodyPublishers.ofByteArray(jxl)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(upload.statusCode()).isEqualTo(415);
        assertThat(new String(upload.body(), StandardCharsets.UTF_8)).contains("JPEG XL").contains("does not read");

        // Put in the originals' folder directly (as with IMGORIGIN_ORIGINALS over existing files).
        String id = TestOrigin.idOf(jxl);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), jxl, "image/jxl");
        }
        for (String path : new String[] {"/w_100/" + id + ".jpg", "/" + id, "/w_100,f_jxl/" + id}) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(415);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).contains("JPEG XL");
        }
    }

    private void assertJpegXl(HttpResponse<byte[]> r, String width, String height, String bands) throws Exception {
        assertThat(r.statusCode()).as(r.uri().toString()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("image/jxl");
        byte[] body = r.body();
        assertThat(body.length).isGreaterThan(2);
        assertThat(body[0] & 0xFF).as("JPEG XL codestream signature").isEqualTo(0xFF);
        assertThat(body[1] & 0xFF).isEqualTo(0x0A);
        assertThat(vipsheader(body, "width", "height", "bands")).containsExactly(width, height, bands);
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Header fields as libvips' {@code vipsheader} prints them (it reads JPEG XL; the server does not). */
    private static List<String> vipsheader(byte[] image, String... fields) throws Exception {
        Path file = Files.createTempFile(root, "answer", ".img");
        Files.write(file, image);
        List<String> values = new ArrayList<>();
        for (String field : fields) {
            Process p = new ProcessBuilder("vipsheader", "-f", field, file.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            values.add(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            assertThat(p.waitFor()).as("vipsheader -f " + field).isZero();
        }
        return values;
    }
}
