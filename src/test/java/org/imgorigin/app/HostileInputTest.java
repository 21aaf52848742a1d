package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.vips.Vips;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of hostile inputs, made in {@link HostileInputs}: each is uploaded (POST /images,
 * raw) and served (stored directly at its key, then GET /w_100/&lt;id&gt;.webp), gets its
 * documented status with a JSON body and no stack trace, and /healthz answers after each.
 * At the end libvips holds no pixel memory and the RSS has grown by less than {@link #RSS_BOUND_KIB}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
    /**
     * RSS growth allowed over the corpus of {@link HostileInputs}, after a warm-up render (KiB).
     * Measured: about 40 MB (libvips' loaders, malloc arenas, heap). The RSS is that of the
     * test JVM, which holds the server and the clients.
     */
    static final long CORPUS_RSS_BOUND_KIB = 96_000;
    /**
     * RSS growth allowed once the three 100 MB uploads have run too (KiB). Measured: about
     * 175-190 MB, mostly heap expansion from the clients and Netty's buffers in this same JVM;
     * the body is never buffered whole (it would be 300 MB for the three).
     */
    static final long RSS_BOUND_KIB = 256_000;
    static final long MAX_UPLOAD = 5_000_000;

    @TempDir
    static Path root;
    Server server;
    HttpClient http;
    long rssBaseline;

    @BeforeAll
    void start() throws Exception {
        server = TestOrigin.start(root, "IMGORIGIN_MAX_UPLOAD_BYTES", "5MB");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        // Warm up: class loading, libvips' loaders and encoders, thread pools.
        byte[] warm = HostileInputs.jpeg(800, 600);
        assertThat(upload(warm, "image/jpeg").statusCode()).isEqualTo(201);
        assertThat(get("/w_100/" + TestOrigin.idOf(warm) + ".webp").statusCode()).isEqualTo(200);
        System.gc();
        rssBaseline = rssKiB();
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        server.close();
    }

    Stream<HostileInputs.Case> corpus() throws Exception {
        return HostileInputs.all().stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void eachInputGetsItsDocumentedStatusAndTheServerStaysUp(HostileInputs.Case c) throws Exception {
        String id = TestOrigin.idOf(c.bytes());

        HttpResponse<byte[]> uploaded = upload(c.bytes(), c.contentType());
        check(uploaded, c.upload(), "upload of " + c.name());
        assertHealthy();

        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), c.bytes(), "application/octet-stream");
        }
        for (String path : new String[] {"/w_100/" + id + ".webp", "/w_100/" + id + ".jpg", "/" + id + ".png"}) {
            HttpResponse<byte[]> served = get(path);
            check(served, c.serve(), "GET " + path + " of " + c.name());
            if (c.serve() == 200) {
                String text = new String(served.body(), StandardCharsets.ISO_8859_1);
                assertThat(text).as("re-encoded variant").doesNotContain("Exif");
                if (c.forbidden() != null) {
                    assertThat(text).as("payload in " + path).doesNotContain(c.forbidden());
                }
            }
            assertHealthy();
        }
        System.out.println("HostileInputTest: RSS +" + (rssKiB() - rssBaseline) + " KiB after " + c.name());
    }

    @Order(3)
    @Test
    void a100MegabyteUploadWithContentLengthIs413AtOnce() throws Exception {
        assertThat(hugeUpload(true)).startsWith("HTTP/1.1 413");
        assertHealthy();
        System.out.println("HostileInputTest: RSS +" + (rssKiB() - rssBaseline) + " KiB after 100 MB, Content-Length");
    }

    @Order(3)
    @Test
    void a100MegabyteChunkedUploadIs413WhenTheLimitIsCrossed() throws Exception {
        assertThat(hugeUpload(false)).startsWith("HTTP/1.1 413");
        assertHealthy();
    }

    @Order(3)
    @Test
    void a100MegabyteUploadThroughJavaNetHttpIsRefusedWithoutBufferingIt() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/images")).header("Content-Type", "image/jpeg")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> HostileInputs.lazyBody(100L << 20))).build();
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            check(r, 413, "100 MB upload");
        } catch (java.io.IOException e) {
            // The server closed the connection after its 2 s linger while the client was still
            // sending; the JDK client then reports the write failure instead of the 413.
        }
        assertHealthy();
    }

    @Order(2)
    @Test
    void theCorpusLeavesMemoryAtBaseline() throws Exception {
        awaitNoVipsMemory();
        long growth = rssKiB() - rssBaseline;
        System.out.println("HostileInputTest: RSS growth over the corpus " + growth + " KiB (bound " + CORPUS_RSS_BOUND_KIB + ")");
        assertThat(growth).as("RSS growth KiB").isLessThan(CORPUS_RSS_BOUND_KIB);
    }

    private static void awaitNoVipsMemory() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Vips.trackedMemory() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Vips.trackedMemory()).as("libvips tracked memory").isZero();
    }

    @Order(4)
    @Test
    void memoryReturnsToBaseline() throws Exception {
        awaitNoVipsMemory();
        System.gc();
        long growth = rssKiB() - rssBaseline;
        System.out.println("HostileInputTest: RSS growth after the corpus and the 100 MB uploads " + growth + " KiB (bound " + RSS_BOUND_KIB + ")");
        assertThat(growth).as("RSS growth KiB").isLessThan(RSS_BOUND_KIB);
        assertHealthy();
    }

    // ---- helpers ---------------------------------------------------------------------------

    /**
     * Sends 100 MB over a raw socket (a generator, never held in memory) and returns the status
     * line. The writer runs on its own thread until the server closes the connection.
     */
    private String hugeUpload(boolean contentLength) throws Exception {
        long total = 100L << 20;
        AtomicLong written = new AtomicLong();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                    + (contentLength ? "Content-Length: " + total : "Transfer-Encoding: chunked") + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[64 * 1024];
                try (InputStream body = HostileInputs.lazyBody(total)) {
                    int n;
                    while ((n = body.read(buf, 0, buf.length)) > 0) {
                        if (contentLength) {
                            out.write(buf, 0, n);
                        } else {
                            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(buf, 0, n);
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        written.addAndGet(n);
                    }
                    if (!contentLength) {
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (java.io.IOException closed) {
                    // expected: the server stops reading and closes
                }
            });
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            String status = in.readLine();
            StringBuilder rest = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                rest.append(line).append('\n');
            }
            assertThat(rest.toString().toLowerCase()).contains("content-type: application/json");
            char[] body = new char[400];
            int n = in.read(body);
            String json = new String(body, 0, Math.max(0, n));
            assertThat(json).contains("\"status\"").contains("413").doesNotContain("Exception");
            socket.shutdownOutput();
            writer.join(10_000);
            assertThat(written.get()).as("bytes the client got to send").isLessThan(total);
            return status;
        }
    }

    private HttpResponse<byte[]> upload(byte[] body, String contentType) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/images")).header("Content-Type", contentType)
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri(path)).header("Accept", "image/webp")
                .timeout(Duration.ofSeconds(60)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private void assertHealthy() throws Exception {
        assertThat(get("/healthz").statusCode()).as("/healthz").isEqualTo(200);
    }

    /** The status, and for errors: a JSON body with that status, no stack trace, not cacheable. */
    private static void check(HttpResponse<byte[]> r, int status, String what) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as(what + ": " + (r.statusCode() >= 400 ? body : "")).isEqualTo(status);
        if (status >= 400) {
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
            JsonObject json = new JsonObject(body);
            assertThat(json.getInteger("status")).isEqualTo(status);
            assertThat(json.getString("error")).isNotBlank();
            assertThat(body).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("org.imgorigin");
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        } else if (status == 201) {
            assertThat(new JsonObject(body).getString("id")).matches("[0-9a-f]{40}");
        }
    }

    private static long rssKiB() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
    }
}
