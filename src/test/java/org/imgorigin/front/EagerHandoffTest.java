package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.imgorigin.app.Server;
import org.imgorigin.config.Config;
import org.imgorigin.metrics.Metrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code IMGORIGIN_EAGER_VIA}, black-box with the real parts: three nodes behind
 * {@code nginx/cluster.conf} ({@link Cluster}). Uploads land on a random node; with the
 * setting, each upload's eager variants are rendered and cached by the node that owns its id,
 * and only there, so the first request for each through the balancer is a hit; without it
 * they are rendered where the upload landed and the owner renders them again. A hand-off that
 * cannot connect is rendered locally; {@code POST /admin/eager/<id>} refuses what it should.
 */
class EagerHandoffTest {
    private static final String ADMIN_TOKEN = "eager-test-admin-token";
    private static final String UPLOAD_TOKEN = "eager-test-upload-token";
    /** Two variants per upload, in formats ImageIO reads, so their pixels can be checked. */
    private static final String EAGER = "f_png,w_120;f_jpg,w_200";
    private static final List<String> EAGER_PATHS = List.of("/f_png,w_120/%s", "/f_jpg,w_200/%s");
    private static final List<Integer> EAGER_WIDTHS = List.of(120, 200);
    /** All uploads on their owner by chance: (1/3)^8, about 1 in 6,500. */
    private static final int UPLOADS = 8;

    @TempDir
    Path root;
    private HttpClient http;
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeEach
    void client() {
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : started.reversed()) {
            c.close();
        }
        http.close();
    }

    /** One upload through the balancer: its id and the node that received (and stored) it. */
    record Upload(String id, Cluster.Node receiver) {
    }

    @Test
    void eachUploadsEagerVariantsAreCachedByTheNodeThatOwnsItsIdOnly() throws Exception {
        Cluster cluster = cluster("IMGORIGIN_EAGER_VIA", Cluster.BALANCER);
        List<Upload> uploads = uploadThroughTheBalancer(cluster);
        awaitSum(cluster, "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 2L * UPLOADS);
        assertThat(sum(cluster, "imgorigin_eager_renders_total\\{outcome=\"failed\"}")).isZero();
        long[] before = cluster.renders();
        assertThat(Arrays.stream(before).sum()).as("one render per eager variant, nowhere else")
                .isEqualTo(2L * UPLOADS);
        int elsewhere = 0;
        Map<String, Cluster.Node> owners = new HashMap<>();
        for (Upload upload : uploads) {
            // The first request for each variant through the balancer reaches the id's owner
            // (the node whose request count goes up), and it is a hit there.
            Cluster.Node owner = null;
            for (int i = 0; i < EAGER_PATHS.size(); i++) {
                long[] asked = requests(cluster);
                HttpResponse<byte[]> first = get(cluster, EAGER_PATHS.get(i).formatted(upload.id()));
                Cluster.Node answered = answered(cluster, asked);
                assertThat(owner == null ? answered : owner).isEqualTo(answered);
                owner = answered;
                assertThat(first.statusCode()).isEqualTo(200);
                assertThat(first.headers().firstValue("X-Cache")).as("%s from %s", first.uri(), owner)
                        .hasValue("HIT-DISK");
                assertThat(width(first.body())).isEqualTo(EAGER_WIDTHS.get(i));
            }
            for (Cluster.Node node : cluster.nodes()) {
                assertThat(node.cached(upload.id())).as("variants of %s cached by %s", upload.id(), node)
                        .hasSize(node == owner ? 2 : 0);
            }
            elsewhere += owner == upload.receiver() ? 0 : 1;
            owners.put(upload.id(), owner);
        }
        assertThat(elsewhere).as("uploads received by a node that does not own their id").isPositive();
        assertThat(cluster.renders()).as("renders per node after the first requests").isEqualTo(before);
        assertThat(sum(cluster, "imgorigin_eager_handoff_total\\{outcome=\"accepted\"}")).isEqualTo(UPLOADS);
        assertThat(sum(cluster, "imgorigin_eager_handoff_total\\{outcome=\"(refused|failed)\"}")).isZero();
        System.out.printf("EagerHandoffTest: %d uploads, %d received by a node that does not own them;"
                + " renders per node %s, every first request a hit%n", UPLOADS, elsewhere, Arrays.toString(before));

        // An owner whose origin is down (its nginx answers 503): the balancer does not pass a POST
        // it has sent on to another node, so the hand-off is refused and the sender renders.
        Upload any = uploads.getFirst();
        Cluster.Node owner = owners.get(any.id());
        owner.stopOrigin();
        HttpResponse<String> refused = post(cluster.url("/admin/eager/" + any.id()).toString(), ADMIN_TOKEN);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    }

    /** What the setting fixes, and what the test above would see without it. */
    @Test
    void withoutTheSettingTheReceivingNodeRendersThemAndTheOwnerRendersAgain() throws Exception {
        Cluster cluster = cluster();
        List<Upload> uploads = uploadThroughTheBalancer(cluster);
        awaitSum(cluster, "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 2L * UPLOADS);
        assertThat(sum(cluster, "imgorigin_eager_handoff_total\\{[^}]*}")).isZero();
        int misses = 0;
        for (Upload upload : uploads) {
            assertThat(upload.receiver().cached(upload.id())).as("cached where it landed").hasSize(2);
            for (String path : EAGER_PATHS) {
                HttpResponse<byte[]> first = get(cluster, path.formatted(upload.id()));
                assertThat(first.statusCode()).isEqualTo(200);
                misses += first.headers().firstValue("X-Cache").orElse("").equals("MISS") ? 1 : 0;
            }
        }
        assertThat(misses).as("first requests rendered again by the owner").isPositive();
        System.out.printf("EagerHandoffTest without IMGORIGIN_EAGER_VIA: %d of %d first requests missed%n", misses,
                2 * UPLOADS);
        assertThat(Arrays.stream(cluster.renders()).sum()).isEqualTo(2L * UPLOADS + misses);
    }

    @Test
    void aHandOffThatCannotConnectIsRenderedByTheNodeThatReceivedTheUpload() throws Exception {
        int closed = RunningNginx.freePort(); // nothing listens there
        Server server = server("IMGORIGIN_EAGER", EAGER, "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                "IMGORIGIN_EAGER_VIA", "http://127.0.0.1:" + closed);
        String id = upload(URI.create("http://127.0.0.1:" + server.port() + "/images"), unique(0));
        awaitSum(List.of(server.metrics()), "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 2);
        assertThat(sum(List.of(server.metrics()), "imgorigin_eager_handoff_total\\{outcome=\"failed\"}")).isEqualTo(1);
        assertThat(sum(List.of(server.metrics()), "imgorigin_eager_handoff_total\\{outcome=\"accepted\"}")).isZero();
        long renders = server.metrics().renders();
        for (int i = 0; i < EAGER_PATHS.size(); i++) {
            HttpResponse<byte[]> hit = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + EAGER_PATHS.get(i).formatted(id))));
            assertThat(hit.headers().firstValue("X-Cache").orElse("")).startsWith("HIT");
            assertThat(width(hit.body())).isEqualTo(EAGER_WIDTHS.get(i));
        }
        assertThat(server.metrics().renders()).isEqualTo(renders);
    }

    @Test
    void aHandOffWithoutAnAnswerIsGivenUpAfterFiveSecondsAndRenderedLocallyWhileTheUploadWaitsForNeither()
            throws Exception {
        // A balancer that takes the connection and never answers (the kernel accepts it).
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            Server server = server("IMGORIGIN_EAGER", EAGER, "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                    "IMGORIGIN_EAGER_VIA", "http://127.0.0.1:" + silent.getLocalPort());
            long start = System.nanoTime();
            String id = upload(URI.create("http://127.0.0.1:" + server.port() + "/images"), unique(2));
            long answered = (System.nanoTime() - start) / 1_000_000;
            awaitSum(List.of(server.metrics()), "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 2);
            long rendered = (System.nanoTime() - start) / 1_000_000;
            assertThat(sum(List.of(server.metrics()), "imgorigin_eager_handoff_total\\{outcome=\"failed\"}"))
                    .isEqualTo(1);
            assertThat(answered).as("upload answered, ms").isLessThan(3_000);
            assertThat(rendered).as("eager set rendered here, ms after the upload was sent")
                    .isGreaterThanOrEqualTo(5_000).isLessThan(30_000);
            HttpResponse<byte[]> hit = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + EAGER_PATHS.getFirst().formatted(id))));
            assertThat(hit.headers().firstValue("X-Cache").orElse("")).startsWith("HIT");
            System.out.printf("EagerHandoffTest: silent balancer: upload answered in %d ms, eager set rendered"
                    + " locally %d ms after it was sent%n", answered, rendered);
        }
    }

    @Test
    void theEndpointRendersTheSetOnThisNodeAndRefusesWhatItShould() throws Exception {
        Server server = server("IMGORIGIN_EAGER", EAGER, "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN);
        String base = "http://127.0.0.1:" + server.port();
        String id = upload(URI.create(base + "/images"), unique(1)); // renders its set once
        awaitSum(List.of(server.metrics()), "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 2);
        String unknown = "0123456789abcdef0123456789abcdef01234567";

        assertJson(post(base + "/admin/eager/" + id, null), 401, "Authorization: Bearer");
        assertJson(post(base + "/admin/eager/" + id, "wrong"), 403, "wrong admin token");
        assertJson(post(base + "/admin/eager/not-an-id", ADMIN_TOKEN), 400, "invalid id");
        assertJson(post(base + "/admin/eager/" + unknown, ADMIN_TOKEN), 404, "no image with id " + unknown);

        // Purged, then handed over: the set is rendered here again, answered 202 before it is.
        assertThat(post(base + "/admin/purge/" + id, ADMIN_TOKEN).statusCode()).isEqualTo(200);
        HttpResponse<String> accepted = post(base + "/admin/eager/" + id, ADMIN_TOKEN);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.body()).isEqualTo("{\"accepted\":\"" + id + "\"}");
        awaitSum(List.of(server.metrics()), "imgorigin_eager_renders_total\\{outcome=\"ok\"}", 4);
        long renders = server.metrics().renders();
        for (String path : EAGER_PATHS) {
            HttpResponse<byte[]> hit = send(HttpRequest.newBuilder(URI.create(base + path.formatted(id))));
            assertThat(hit.headers().firstValue("X-Cache").orElse("")).startsWith("HIT");
        }
        assertThat(server.metrics().renders()).isEqualTo(renders);

        // A node without IMGORIGIN_EAGER has nothing to render: the sender renders the set itself.
        Server plain = server("IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN, "IMGORIGIN_CACHE_DIR", root.resolve("plain").toString());
        assertJson(post("http://127.0.0.1:" + plain.port() + "/admin/eager/" + id, ADMIN_TOKEN), 409,
                "no IMGORIGIN_EAGER");
        assertThat(plain.metrics().renders()).isZero();
    }

    private Cluster cluster(String... more) throws Exception {
        assumeTrue(Files.isExecutable(RunningNginx.BINARY), "nginx is not installed");
        List<String> env = new ArrayList<>(List.of("IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN,
                "IMGORIGIN_UPLOAD_TOKEN", UPLOAD_TOKEN, "IMGORIGIN_EAGER", EAGER));
        env.addAll(List.of(more));
        Cluster cluster = Cluster.start(env.toArray(String[]::new));
        started.add(cluster);
        return cluster;
    }

    private Server server(String... env) throws Exception {
        Map<String, String> vars = new HashMap<>(Map.of("IMGORIGIN_PORT", "0", "IMGORIGIN_WORKERS", "1",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_MEZZANINE", "0", "IMGORIGIN_ACCESS_LOG", "false"));
        for (int i = 0; i < env.length; i += 2) {
            vars.put(env[i], env[i + 1]);
        }
        Server server = Server.start(Config.fromEnv(vars));
        started.add(server);
        return server;
    }

    /** {@link #UPLOADS} new images, one at a time, each with the node that took it (its created uploads went up). */
    private List<Upload> uploadThroughTheBalancer(Cluster cluster) throws Exception {
        List<Upload> uploads = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            long[] before = created(cluster);
            String id = upload(cluster.url("/images"), unique(100 + i));
            long[] after = created(cluster);
            List<Cluster.Node> receivers = cluster.nodes().stream()
                    .filter(n -> after[n.index] != before[n.index]).toList();
            assertThat(receivers).as("nodes that stored upload %d", i).hasSize(1);
            uploads.add(new Upload(id, receivers.getFirst()));
        }
        return uploads;
    }

    private String upload(URI url, byte[] bytes) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + UPLOAD_TOKEN).header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]+)\"").matcher(created.body());
        assertThat(id.find()).as(created.body()).isTrue();
        System.out.printf("EagerHandoffTest: upload answered in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        return id.group(1);
    }

    /** Image requests each node has answered. */
    private static long[] requests(Cluster cluster) {
        return cluster.nodes().stream().mapToLong(n -> metric(n.server.metrics(), "imgorigin_requests_total\\{[^}]*}"))
                .toArray();
    }

    /** The one node that answered a request since {@code before} ({@link #requests}). */
    private static Cluster.Node answered(Cluster cluster, long[] before) throws InterruptedException {
        // A request is counted once its answer is written: the client may have it a moment before.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            long[] after = requests(cluster);
            List<Cluster.Node> nodes = cluster.nodes().stream().filter(n -> after[n.index] != before[n.index]).toList();
            if (!nodes.isEmpty() || System.nanoTime() > deadline) {
                assertThat(nodes).as("nodes that answered").hasSize(1);
                return nodes.getFirst();
            }
            Thread.sleep(10);
        }
    }

    private static long[] created(Cluster cluster) {
        return cluster.nodes().stream().mapToLong(n -> metric(n.server.metrics(),
                "imgorigin_uploads_total\\{outcome=\"created\"}")).toArray();
    }

    private static long sum(Cluster cluster, String series) {
        return sum(cluster.nodes().stream().map(n -> n.server.metrics()).toList(), series);
    }

    private static long sum(List<Metrics> metrics, String series) {
        return metrics.stream().mapToLong(m -> metric(m, series)).sum();
    }

    private static long metric(Metrics metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics.scrape());
        long total = 0;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(m.groupCount()));
        }
        return total;
    }

    private static void awaitSum(Cluster cluster, String series, long expected) throws InterruptedException {
        awaitSum(cluster.nodes().stream().map(n -> n.server.metrics()).toList(), series, expected);
    }

    private static void awaitSum(List<Metrics> metrics, String series, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        ToLongFunction<List<Metrics>> now = m -> sum(m, series);
        while (now.applyAsLong(metrics) < expected) {
            assertThat(System.nanoTime()).as("%s reached %d", series, expected).isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(now.applyAsLong(metrics)).as(series).isEqualTo(expected);
    }

    private HttpResponse<byte[]> get(Cluster cluster, String path) throws Exception {
        return send(HttpRequest.newBuilder(cluster.url(path)));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<String> post(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertJson(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(response.body()).contains("\"status\":" + status).contains(message);
    }

    /** photo.jpg with bytes after its end marker: a new image (a new id) each time, the same pixels. */
    private static byte[] unique(int n) throws IOException {
        byte[] photo;
        try (InputStream in = EagerHandoffTest.class.getResourceAsStream("/images/photo.jpg")) {
            photo = in.readAllBytes();
        }
        byte[] trailer = ("eager-handoff-" + n).getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = Arrays.copyOf(photo, photo.length + trailer.length);
        System.arraycopy(trailer, 0, bytes, photo.length, trailer.length);
        return bytes;
    }

    private static int width(byte[] image) throws IOException {
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(image));
        assertThat(decoded).as("a decodable PNG or JPEG").isNotNull();
        return decoded.getWidth();
    }
}
