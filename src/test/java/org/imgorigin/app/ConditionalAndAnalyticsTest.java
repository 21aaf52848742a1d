package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ways a client could make a node say or keep what it should not: a 304 for an image
 * that does not exist (an {@code If-None-Match: *} was answered before anything checked the
 * id), and analytics counters keyed by values the URL chooses.
 */
class ConditionalAndAnalyticsTest {
    @TempDir
    Path root;

    @Test
    void notModifiedOnlyForImagesThatExist() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        try (Server server = TestOrigin.start(root); HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.port();
            String never = "0123456789abcdef0123456789abcdef01234567";
            for (String path : List.of("/w_100/" + never + ".webp", "/" + never, "/w_100,dpr_2/" + never + ".jpg")) {
                HttpResponse<String> r = conditional(http, base + path, "*");
                assertThat(r.statusCode()).as(path).isEqualTo(404);
                assertThat(new JsonObject(r.body()).getInteger("status")).isEqualTo(404);
            }
            // An image that exists, cold on this node (nothing known, nothing cached): 304.
            assertThat(conditional(http, base + "/w_100/" + id + ".webp", "*").statusCode()).isEqualTo(304);
            HttpResponse<String> served = http.send(HttpRequest.newBuilder(URI.create(base + "/w_100/" + id + ".webp"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String etag = served.headers().firstValue("ETag").orElseThrow();
            assertThat(conditional(http, base + "/w_100/" + id + ".webp", etag).statusCode()).isEqualTo(304);
            // Deleted: the ETag the client holds no longer earns a 304.
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/images/" + id)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
            assertThat(conditional(http, base + "/w_100/" + id + ".webp", etag).statusCode()).isEqualTo(404);
            assertThat(conditional(http, base + "/w_100/" + id + ".webp", "*").statusCode()).isEqualTo(404);
        }
    }

    /**
     * 100,000 requests, each with a DPR never asked before, answered 304 (no render): the
     * analytics document keeps a handful of DPR keys and stays the same size.
     */
    @Test
    void oneHundredThousandDistinctDprValuesKeepAnalyticsBounded() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        try (Server server = TestOrigin.start(root); HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.port();
            assertThat(conditional(http, base + "/w_100,dpr_2/" + id + ".webp", "*").statusCode()).isEqualTo(304);
            int before = analytics(http, base).length();
            Random random = new Random(1);
            int sent = 0;
            int notModified = 0;
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                while (sent < 100_000) {
                    // Pipelined in batches: one connection, 1,000 requests per write.
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < 1_000; i++) {
                        String dpr = String.format("%.6f", 1 + random.nextDouble() * 3).replace(',', '.');
                        batch.append("GET /w_100,dpr_").append(dpr).append('/').append(id).append(".webp HTTP/1.1\r\n")
                                .append("Host: x\r\nIf-None-Match: *\r\n\r\n");
                    }
                    out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    notModified += readStatuses(in, 1_000, 304);
                    sent += 1_000;
                }
            }
            assertThat(notModified).isEqualTo(100_000);
            JsonObject after = new JsonObject(analytics(http, base));
            assertThat(after.getJsonObject("byDpr").fieldNames()).as("DPR keys").hasSizeLessThanOrEqualTo(9);
            assertThat(after.getJsonObject("byDpr").fieldNames()).isSubsetOf(
                    "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "auto", "other");
            assertThat(after.encode().length()).as("analytics document, bytes").isLessThan(before + 200);
        }
    }

    /** Reads {@code count} responses (each with a Content-Length); returns how many had {@code status}. */
    private static int readStatuses(InputStream in, int count, int status) throws Exception {
        int matched = 0;
        for (int i = 0; i < count; i++) {
            String head = readHead(in);
            if (head.startsWith("HTTP/1.1 " + status + " ")) {
                matched++;
            }
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            in.readNBytes(length);
        }
        return matched;
    }

    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("connection closed mid-response");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static HttpResponse<String> conditional(HttpClient http, String url, String etag) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String analytics(HttpClient http, String base) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/analytics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
