package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imgorigin.config.Config;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * POST /images into a bucket of a real S3 protocol server (S3Proxy on loopback): ids are the
 * SHA-256 prefix, objects land at the hash-prefixed key, duplicates write nothing, and every
 * refusal is a JSON 4xx that leaves the bucket as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UploadTest {
    private static final String BUCKET = "uploads";
    private static final String TOKEN = "upload-token-123";
    @TempDir
    static Path cache;

    BlobStoreContext blobs;
    S3Proxy proxy;
    Server server;
    Vertx vertx;
    WebClient client;

    @BeforeAll
    void start() throws Exception {
        blobs = ContextBuilder.newBuilder("transient").credentials("k", "s").build(BlobStoreContext.class);
        blobs.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "k", "s").build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        System.setProperty("aws.accessKeyId", "k");
        System.setProperty("aws.secretAccessKey", "s");
        Map<String, String> env = new HashMap<>();
        env.put("IMGORIGIN_PORT", "0");
        env.put("IMGORIGIN_ORIGINALS", "s3://" + BUCKET + "/site");
        env.put("IMGORIGIN_S3_ENDPOINT", "http://127.0.0.1:" + proxy.getPort());
        env.put("IMGORIGIN_S3_PATH_STYLE", "true");
        env.put("IMGORIGIN_CACHE_DIR", cache.toString());
        env.put("IMGORIGIN_UPLOAD_TOKEN", TOKEN);
        env.put("IMGORIGIN_MAX_UPLOAD_BYTES", "2MB");
        env.put("IMGORIGIN_PRESETS", "thumb=c_fill,w_64,h_64");
        env.put("IMGORIGIN_EAGER", "t_thumb;f_png,w_50");
        server = Server.start(Config.fromEnv(env));
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterAll
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        server.close();
        proxy.stop();
        blobs.close();
    }

    static String sha40(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
    }

    Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        BlobStore store = blobs.getBlobStore();
        for (StorageMetadata m : store.list(BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder.recursive())) {
            if (m.getType() == org.jclouds.blobstore.domain.StorageType.BLOB) {
                keys.add(m.getName() + "@" + m.getETag());
            }
        }
        return keys;
    }

    HttpResponse<Buffer> raw(String contentType, byte[] body, String token) throws Exception {
        var request = client.post(server.port(), "127.0.0.1", "/images");
        if (contentType != null) {
            request.putHeader("Content-Type", contentType);
        }
        if (token != null) {
            request.bearerTokenAuthentication(token);
        }
        return request.sendBuffer(Buffer.buffer(body)).await(60, TimeUnit.SECONDS);
    }

    HttpResponse<Buffer> multipart(String fileName, String contentType, byte[] body) throws Exception {
        Path file = Files.createTempFile(cache, "upload", fileName);
        Files.write(file, body);
        return client.post(server.port(), "127.0.0.1", "/images").bearerTokenAuthentication(TOKEN)
                .sendMultipartForm(MultipartForm.create().attribute("note", "from a form")
                        .binaryFileUpload("file", fileName, file.toString(), contentType))
                .await(60, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @CsvSource({"photo.jpg,image/jpeg,jpg,1200,675", "alpha.png,image/png,png,480,269",
        "small.webp,image/webp,webp,300,169", "small.gif,image/gif,gif,200,112"})
    void rawAndMultipartUploadsStoreOnceUnderTheHash(String fixture, String type, String format, int width,
            int height) throws Exception {
        byte[] bytes = ServeImagesContract.fixture(fixture);
        String id = sha40(bytes);
        // The client's Content-Type is not trusted: the bytes decide the format.
        HttpResponse<Buffer> created = raw("application/octet-stream", bytes, TOKEN);
        assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
        JsonObject json = created.bodyAsJsonObject();
        assertThat(json.getString("id")).isEqualTo(id);
        assertThat(json.getString("url")).isEqualTo("/" + id + "." + format);
        assertThat(json.getString("format")).isEqualTo(format);
        assertThat(json.getInteger("width")).isEqualTo(width);
        assertThat(json.getInteger("height")).isEqualTo(height);
        assertThat(json.getLong("bytes")).isEqualTo(bytes.length);

        String key = "site/" + id.substring(0, 4) + "/" + id.substring(4, 6) + "/" + id;
        var blob = blobs.getBlobStore().getBlob(BUCKET, key);
        assertThat(blob).isNotNull();
        assertThat(blob.getPayload().openStream().readAllBytes()).isEqualTo(bytes);
        assertThat(blob.getMetadata().getContentMetadata().getContentType()).isEqualTo(type);

        Set<String> before = keys();
        HttpResponse<Buffer> again = multipart(fixture, type, bytes);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.bodyAsJsonObject()).isEqualTo(json);
        assertThat(keys()).isEqualTo(before);

        HttpResponse<Buffer> meta = client.get(server.port(), "127.0.0.1", "/images/" + id).send()
                .await(30, TimeUnit.SECONDS);
        JsonObject expected = json.copy();
        expected.remove("url");
        JsonObject described = meta.bodyAsJsonObject();
        // What the upload said, and the placeholder (PlaceholdersTest).
        assertThat(described.getJsonObject("placeholder").fieldNames())
                .containsExactlyInAnyOrder("blurhash", "thumbhash", "colour");
        described.remove("placeholder");
        assertThat(described).isEqualTo(expected);
        // And it is served.
        assertThat(client.get(server.port(), "127.0.0.1", "/w_20/" + id + ".webp").send()
                .await(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void eagerVariantsAreReadyBeforeTheFirstView() throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of(getClass().getResource("/images/salient-right.png").toURI()));
        String id = sha40(bytes);
        assertThat(raw("image/png", bytes, TOKEN).statusCode()).isEqualTo(201);
        Path dir = cache.resolve(id.substring(0, 4)).resolve(id.substring(4, 6)).resolve(id);
        Set<String> expected = Set.of("c_fill,h_64,w_64.png", "c_fill,h_64,w_64.webp", "c_fill,h_64,w_64.avif",
                "c_fill,h_64,w_64.jxl", "w_50.png");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && !(Files.isDirectory(dir) && names(dir).containsAll(expected))) {
            Thread.sleep(50);
        }
        assertThat(names(dir)).containsAll(expected);
        long renders = server.metrics().renders();
        HttpResponse<Buffer> first = client.get(server.port(), "127.0.0.1", "/t_thumb/" + id + ".webp").send()
                .await(30, TimeUnit.SECONDS);
        assertThat(first.getHeader("X-Cache")).startsWith("HIT");
        assertThat(server.metrics().renders()).isEqualTo(renders);
    }

    private static Set<String> names(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void everyRefusalIsJsonAndLeavesTheBucketUnchanged() throws Exception {
        byte[] photo = ServeImagesContract.fixture("photo.jpg");
        Set<String> before = keys();
        expect(raw("image/jpeg", photo, null), 401, "token");
        expect(raw("image/jpeg", photo, "wrong"), 403, "token");
        expect(raw("image/jpeg", new byte[0], TOKEN), 400, "empty");
        expect(raw("image/svg+xml", "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.UTF_8),
                TOKEN), 415, "not an image");
        expect(raw("application/pdf", "%PDF-1.7\n".getBytes(StandardCharsets.UTF_8), TOKEN), 415, "Content-Type");
        expect(raw("image/png", "<html><body>hi</body></html>".getBytes(StandardCharsets.UTF_8), TOKEN), 415, "not an image");
        expect(raw("image/png", new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0}, TOKEN),
                415, "not an image");
        expect(raw("image/jpeg", java.util.Arrays.copyOf(photo, 40), TOKEN), 422, "decoded");
        expect(multipart("notes.txt", "text/plain", "just text".getBytes(StandardCharsets.UTF_8)), 415, "not an image");
        byte[] tooBig = new byte[3_000_000];
        System.arraycopy(photo, 0, tooBig, 0, photo.length);
        expect(raw("image/jpeg", tooBig, TOKEN), 413, "limit");
        var noFile = client.post(server.port(), "127.0.0.1", "/images").bearerTokenAuthentication(TOKEN)
                .sendMultipartForm(MultipartForm.create().attribute("title", "no file")).await(30, TimeUnit.SECONDS);
        expect(noFile, 400, "file");
        assertThat(keys()).isEqualTo(before);
        // Still serving everyone else: a fresh, valid 7×1 PNG goes in.
        assertThat(raw("image/png", pngDeclaring(7, 1), TOKEN).statusCode()).isEqualTo(201);
    }

    @Test
    void anUploadInterruptedMidBodyStoresNothing() throws Exception {
        byte[] photo = ServeImagesContract.fixture("alpha.png");
        Set<String> before = keys();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            var out = socket.getOutputStream();
            out.write(("POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: " + photo.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(photo, 0, photo.length / 2);
            out.flush();
            Thread.sleep(200);
        } // the client goes away with half the body sent
        Thread.sleep(300);
        assertThat(keys()).isEqualTo(before);
        assertThat(server.metrics().scrape()).doesNotContain("imgorigin_uploads_total{outcome=\"failed\"}");
        // And the whole body, sent properly afterwards, is stored as new.
        assertThat(raw("image/png", photo, TOKEN).statusCode()).isIn(200, 201);
    }

    @Test
    void aClientTricklingItsBodyIsCutOffWith408() throws Exception {
        try (Server slow = TestOrigin.start(cache.resolve("slow"), "IMGORIGIN_UPLOAD_IDLE_TIMEOUT", "1");
                java.net.Socket socket = new java.net.Socket("127.0.0.1", slow.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
            out.flush();
            long start = System.nanoTime();
            String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(answer).isEqualTo("HTTP/1.1 408");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
            var health = client.get(slow.port(), "127.0.0.1", "/healthz").send().await(10, TimeUnit.SECONDS);
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeader() throws Exception {
        byte[] bomb = pngDeclaring(40_000, 40_000);
        assertThat(bomb.length).isLessThan(2_000);
        Set<String> before = keys();
        Runtime rt = Runtime.getRuntime();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        long rssBefore = rssKiB();
        HttpResponse<Buffer> r = raw("image/png", bomb, TOKEN);
        expect(r, 422, "1600000000 pixels");
        assertThat(rssKiB() - rssBefore).as("RSS growth KiB").isLessThan(100_000);
        assertThat((rt.totalMemory() - rt.freeMemory()) - heapBefore).isLessThan(200L << 20);
        assertThat(keys()).isEqualTo(before);
    }

    @Test
    void withoutATokenOnlyLoopbackClientsMayUpload() throws Exception {
        Map<String, String> env = Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + cache.resolve("local-originals"),
                "IMGORIGIN_CACHE_DIR", cache.resolve("local-cache").toString());
        try (Server local = Server.start(Config.fromEnv(env))) {
            byte[] photo = ServeImagesContract.fixture("photo.jpg");
            var ok = client.post(local.port(), "127.0.0.1", "/images").putHeader("Content-Type", "image/jpeg")
                    .sendBuffer(Buffer.buffer(photo)).await(30, TimeUnit.SECONDS);
            assertThat(ok.statusCode()).isEqualTo(201);
            var proxied = client.request(HttpMethod.POST, local.port(), "127.0.0.1", "/images")
                    .putHeader("Content-Type", "image/jpeg").putHeader("X-Forwarded-For", "198.51.100.7")
                    .sendBuffer(Buffer.buffer(photo)).await(30, TimeUnit.SECONDS);
            expect(proxied, 403, "loopback");
        }
    }

    private static void expect(HttpResponse<Buffer> r, int status, String fragment) {
        ServeImagesContract.assertJsonError(r, status, fragment);
    }

    /** A valid PNG header claiming width×height 8-bit grey pixels, with only a sliver of image data. */
    static byte[] pngDeclaring(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        HostileInputs.chunk(out, "IHDR", ihdr.array());
        Deflater deflater = new Deflater(9);
        deflater.setInput(new byte[width + 1]); // one row of zeros; the rest is missing
        deflater.finish();
        byte[] buf = new byte[4096];
        int n = deflater.deflate(buf);
        HostileInputs.chunk(out, "IDAT", java.util.Arrays.copyOf(buf, n));
        HostileInputs.chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }


    private static long rssKiB() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
    }
}
