package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed upload URLs (README, "Uploading from the browser"), black-box: minted by
 * {@code bin/imgorigin sign-upload} and by the README's Node and Python snippets, accepted
 * once; expired, tampered, reused, malformed or foreign-origin ones refused as JSON; the
 * usual upload checks still apply; no delete or purge can be made of one.
 */
class SignedUploadTest {
    static final String TOKEN = "upload-token-for-tests";
    static final String PAGE = "http://127.0.0.2:4000";
    private static final Pattern SIGNED = Pattern.compile(
            "/images\\?expires=(\\d+)&nonce=([0-9a-f]{32})&sig=([A-Za-z0-9_-]{43})");

    @TempDir
    Path root;
    private Vertx vertx;
    private WebClient client;
    private Server server;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        server = TestOrigin.start(root, "IMGORIGIN_UPLOAD_TOKEN", TOKEN, "IMGORIGIN_ADMIN_TOKEN", "admin-token-x",
                "IMGORIGIN_UPLOAD_ORIGINS", PAGE + ",https://app.example.com", "IMGORIGIN_MAX_UPLOAD_BYTES", "200KB");
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    static byte[] fixture(String name) throws Exception {
        try (InputStream in = SignedUploadTest.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }

    private HttpResponse<Buffer> post(String path, byte[] body, String... headers) throws Exception {
        var request = client.request(HttpMethod.POST, server.port(), "127.0.0.1", path)
                .putHeader("Content-Type", "image/png");
        for (int i = 0; i < headers.length; i += 2) {
            request.putHeader(headers[i], headers[i + 1]);
        }
        return request.sendBuffer(Buffer.buffer(body)).await(60, TimeUnit.SECONDS);
    }

    private HttpResponse<Buffer> send(HttpMethod method, String path, String... headers) throws Exception {
        var request = client.request(method, server.port(), "127.0.0.1", path);
        for (int i = 0; i < headers.length; i += 2) {
            request.putHeader(headers[i], headers[i + 1]);
        }
        return request.send().await(30, TimeUnit.SECONDS);
    }

    /** Runs a command with IMGORIGIN_UPLOAD_TOKEN set; its standard output, trimmed. */
    static String run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("IMGORIGIN_UPLOAD_TOKEN", TOKEN);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(command + ": " + out).isZero();
        return out;
    }

    static String signUpload(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of("bin/imgorigin").toAbsolutePath().toString(),
                "sign-upload"));
        command.addAll(List.of(args));
        return run(command);
    }

    @Test
    void aSignedUrlUploadsOnceAndOnlyOnce() throws Exception {
        String path = signUpload("--ttl", "120");
        Matcher m = SIGNED.matcher(path);
        assertThat(m.matches()).as(path).isTrue();
        long expires = Long.parseLong(m.group(1));
        long now = System.currentTimeMillis() / 1000;
        assertThat(expires).isBetween(now + 100, now + 125);

        var created = post(path, fixture("alpha.png"));
        assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
        String id = created.bodyAsJsonObject().getString("id");
        assertThat(id).matches("[0-9a-f]{16,64}");
        // No Origin: a backend or curl; no grant is needed, none is sent.
        assertThat(created.getHeader("Access-Control-Allow-Origin")).isNull();

        ServeImagesContract.assertJsonError(post(path, fixture("alpha.png")), 403, "already used");

        // Nothing but the upload: deletes and purges read only the Authorization header.
        String query = path.substring("/images".length());
        ServeImagesContract.assertJsonError(send(HttpMethod.DELETE, "/images/" + id + query), 401, "token");
        ServeImagesContract.assertJsonError(send(HttpMethod.POST, "/admin/purge/" + id + query), 401, "token");
        assertThat(send(HttpMethod.GET, "/" + id + ".png").statusCode()).isEqualTo(200);
    }

    /** sign-upload refuses, with exit 2 and one line, what would mint a URL the server refuses. */
    @Test
    void signUploadRefusesBadLifetimesAndAMissingToken() throws Exception {
        String script = Path.of("bin/imgorigin").toAbsolutePath().toString();
        for (List<String> args : List.of(List.of("--ttl", "0"), List.of("--ttl", "86401"), List.of("--ttl", "5m"),
                List.of("--ttl"), List.of("--bogus"))) {
            List<String> command = new ArrayList<>(List.of(script, "sign-upload"));
            command.addAll(args);
            Process p = new ProcessBuilder(command).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(args + ": " + err).isNotZero();
            assertThat(out).as(args.toString()).isEmpty();
            assertThat(err).as(args.toString()).contains("imgorigin: ");
        }
        ProcessBuilder noToken = new ProcessBuilder(script, "sign-upload");
        noToken.environment().remove("IMGORIGIN_UPLOAD_TOKEN");
        Process p = noToken.start();
        p.getOutputStream().close();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("IMGORIGIN_UPLOAD_TOKEN is not set");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(SIGNED.matcher(signUpload("--ttl=86400")).matches()).isTrue();
    }

    @Test
    void expiredTamperedMalformedAndForeignUrlsAreRefused() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        byte[] png = fixture("alpha.png");
        ServeImagesContract.assertJsonError(
                post(org.imgorigin.http.SignedUploadsAccess.sign(TOKEN, now - 1, "a".repeat(32)), png), 403, "expired");
        ServeImagesContract.assertJsonError(
                post(org.imgorigin.http.SignedUploadsAccess.sign(TOKEN, now + 90_000, "b".repeat(32)), png), 403,
                "ahead");
        ServeImagesContract.assertJsonError(
                post(org.imgorigin.http.SignedUploadsAccess.sign("another-token", now + 60, "c".repeat(32)), png),
                403, "invalid upload signature");
        String good = signUpload();
        Matcher m = SIGNED.matcher(good);
        assertThat(m.matches()).isTrue();
        String later = good.replace("expires=" + m.group(1), "expires=" + (Long.parseLong(m.group(1)) + 3600));
        ServeImagesContract.assertJsonError(post(later, png), 403, "invalid upload signature");
        String otherNonce = good.replace(m.group(2), "f".repeat(32));
        ServeImagesContract.assertJsonError(post(otherNonce, png), 403, "invalid upload signature");
        ServeImagesContract.assertJsonError(post(good.replaceAll("&sig=.*", ""), png), 401, "sig");
        ServeImagesContract.assertJsonError(post(good + "&sig=" + m.group(3), png), 401, "once");
        // A page on an origin not listed: refused even without a preflight (a form post).
        ServeImagesContract.assertJsonError(post(good, png, "Origin", "https://evil.example"), 403, "origin");
        // The tampered and foreign attempts consumed nothing: the genuine URL still works once.
        var created = post(good, png, "Origin", PAGE);
        assertThat(created.statusCode()).as(created.bodyAsString()).isIn(200, 201);
        assertThat(created.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
        assertThat(created.getHeader("Access-Control-Expose-Headers")).isEqualTo("Location");
        assertThat(created.getHeader("Vary")).isEqualTo("Origin");
        // The server's own home page (same host): browsers send Origin on every POST.
        var home = post(signUpload(), fixture("photo.jpg"), "Origin", "http://127.0.0.1:" + server.port(),
                "Content-Type", "image/jpeg");
        assertThat(home.statusCode()).as(home.bodyAsString()).isIn(200, 201);
        var reused = post(good, png, "Origin", PAGE);
        ServeImagesContract.assertJsonError(reused, 403, "already used");
        assertThat(reused.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
    }

    @Test
    void everyUploadCheckStillApplies() throws Exception {
        ServeImagesContract.assertJsonError(post(signUpload(), new byte[300_000]), 413);
        ServeImagesContract.assertJsonError(post(signUpload(), "<svg xmlns='http://www.w3.org/2000/svg'/>"
                .getBytes(StandardCharsets.UTF_8)), 415);
        try (Server small = TestOrigin.start(root.resolve("small"), "IMGORIGIN_UPLOAD_TOKEN", TOKEN,
                "IMGORIGIN_MAX_SOURCE_PIXELS", "1000")) {
            var tooManyPixels = client.request(HttpMethod.POST, small.port(), "127.0.0.1", signUpload())
                    .putHeader("Content-Type", "image/jpeg").sendBuffer(Buffer.buffer(fixture("photo.jpg")))
                    .await(60, TimeUnit.SECONDS);
            ServeImagesContract.assertJsonError(tooManyPixels, 422);
        }
        var bearer = post("/images", fixture("alpha.png"), "Authorization", "Bearer " + TOKEN);
        assertThat(bearer.statusCode()).isIn(200, 201);
    }

    @Test
    void theUploadPreflightGrantsOnlyListedOrigins() throws Exception {
        var allowed = send(HttpMethod.OPTIONS, signUpload(), "Origin", PAGE, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "content-type");
        assertThat(allowed.statusCode()).isEqualTo(204);
        assertThat(allowed.getHeader("Access-Control-Allow-Origin")).isEqualTo(PAGE);
        assertThat(allowed.getHeader("Access-Control-Allow-Methods")).isEqualTo("POST");
        assertThat(allowed.getHeader("Access-Control-Allow-Headers")).isEqualTo("Content-Type");
        assertThat(allowed.getHeader("Vary")).isEqualTo("Origin");
        var refused = send(HttpMethod.OPTIONS, "/images", "Origin", "https://evil.example",
                "Access-Control-Request-Method", "POST");
        ServeImagesContract.assertJsonError(refused, 403, "origin");
        assertThat(refused.getHeader("Access-Control-Allow-Origin")).isNull();
    }

    /** The README's Node and Python snippets, run as they are printed there. */
    @Test
    void theReadmesSnippetsMintUrlsTheServerAccepts() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String section = readme.substring(readme.indexOf("## Uploading from the browser"),
                readme.indexOf("\n## ", readme.indexOf("## Uploading from the browser") + 5));
        String node = block(section, "In Node", "js");
        String python = block(section, "In Python", "python");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")) || which("node"), "node is not installed");
        byte[][] images = {fixture("alpha.png"), fixture("photo.jpg")};
        int i = 0;
        for (List<String> command : List.of(List.of("node", "-e", node), List.of("python3", "-c", python))) {
            String path = run(command);
            assertThat(SIGNED.matcher(path).matches()).as(command.getFirst() + ": " + path).isTrue();
            var created = post(path, images[i++]);
            assertThat(created.statusCode()).as(command.getFirst() + ": " + created.bodyAsString()).isIn(200, 201);
            ServeImagesContract.assertJsonError(post(path, fixture("alpha.png")), 403, "already used");
        }
    }

    private static boolean which(String tool) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The first fenced block of {@code language} after {@code marker}. */
    private static String block(String text, String marker, String language) {
        int from = text.indexOf(marker);
        assertThat(from).as(marker).isNotNegative();
        int start = text.indexOf("```" + language + "\n", from);
        assertThat(start).as(marker + " " + language).isNotNegative();
        start += language.length() + 4;
        return text.substring(start, text.indexOf("```", start));
    }
}
