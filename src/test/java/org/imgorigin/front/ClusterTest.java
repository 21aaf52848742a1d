package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes behind {@code nginx/cluster.conf}, each with its own nginx and cache, sharing one
 * originals folder ({@link Cluster}): a URL is rendered and cached by one node only, the one that
 * owns its image's id, images spread over the nodes, a node going away costs no request, and {@code bin/imgorigin purge} reaches
 * every node. Each test starts its own cluster. Without nginx this test is skipped.
 */
class ClusterTest {
    private static final String ADMIN_TOKEN = "cluster-test-admin-token";
    private static final String UPLOAD_TOKEN = "cluster-test-upload-token";

    private Cluster cluster;
    private HttpClient http;
    private String photo;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isExecutable(RunningNginx.BINARY), "nginx is not installed");
        cluster = Cluster.start("IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN, "IMGORIGIN_UPLOAD_TOKEN", UPLOAD_TOKEN);
        photo = cluster.store("photo.jpg");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (http != null) {
                http.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    void aVariantIsRenderedAndCachedByOneNodeAndServedFromItsDiskThereafter() throws Exception {
        String url = "/w_240/" + photo + ".webp";
        long[] before = cluster.renders();

        HttpResponse<byte[]> miss = get(url);
        assertThat(miss.statusCode()).as(cluster.logs()).isEqualTo(200);
        assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
        long[] rendered = cluster.renders();
        List<Integer> renderedBy = changed(before, rendered);
        assertThat(renderedBy).as("nodes that rendered %s", url).hasSize(1);
        Cluster.Node owner = cluster.nodes().get(renderedBy.getFirst());
        assertThat(rendered[owner.index]).isEqualTo(before[owner.index] + 1);

        // Again, and with a query string (which the origin ignores, so the balancer's hash does
        // too): the owner's nginx sends the file from the owner's disk; nobody renders.
        for (String again : List.of(url, url, url + "?utm_source=newsletter")) {
            HttpResponse<byte[]> hit = get(again);
            assertThat(hit.statusCode()).as(again).isEqualTo(200);
            assertThat(hit.headers().firstValue("X-Cache")).as(again).hasValue("HIT-DISK");
            assertThat(hit.body()).isEqualTo(miss.body());
        }
        assertThat(cluster.renders()).isEqualTo(rendered);
        for (Cluster.Node node : cluster.nodes()) {
            assertThat(node.cached(photo)).as(node.toString()).hasSize(node == owner ? 1 : 0);
        }
    }

    @Test
    void everyVariantOfAnImageIsRenderedByTheNodeThatOwnsItsId() throws Exception {
        // The balancer hashes the id (nginx/cluster.conf): all variants of one image, in either
        // spelling, reach one node, which fetches the original once and renders them all.
        List<String> urls = IntStream.range(0, 30).mapToObj(i -> (i % 3 == 0 ? "/image/upload" : "")
                + "/w_" + (100 + 10 * i) + "/" + photo + ".webp").toList();
        for (String url : urls) {
            HttpResponse<byte[]> response = get(url);
            assertThat(response.statusCode()).as(url).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).as(url).hasValue("MISS");
        }
        long[] rendered = cluster.renders();
        assertThat(Arrays.stream(rendered).sum()).isEqualTo(urls.size());
        assertThat(Arrays.stream(rendered).filter(n -> n > 0).count()).as("renders per node %s",
                Arrays.toString(rendered)).isEqualTo(1);
        for (Cluster.Node node : cluster.nodes()) {
            assertThat((long) node.cached(photo).size()).as(node.toString()).isEqualTo(rendered[node.index]);
        }

        // Each stays on its node, whichever spelling asks: /image/upload/ selects nothing.
        List<String> shuffled = new ArrayList<>(urls);
        Collections.shuffle(shuffled);
        for (String url : shuffled) {
            String other = url.startsWith("/image/upload") ? url.substring("/image/upload".length()) : "/image/upload" + url;
            assertThat(get(url).headers().firstValue("X-Cache")).as(url).hasValue("HIT-DISK");
            assertThat(get(other).headers().firstValue("X-Cache")).as(other).hasValue("HIT-DISK");
        }
        assertThat(cluster.renders()).isEqualTo(rendered);
    }

    @Test
    void uploadsAreSpreadOverTheNodesAndServedByWhicheverNodeOwnsTheUrl() throws Exception {
        byte[] photoBytes = fixture("photo.jpg");
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // Bytes after the JPEG's end marker: a new image (a new id) each time, same pixels.
            byte[] trailer = ("cluster-upload-" + i).getBytes(StandardCharsets.US_ASCII);
            byte[] unique = Arrays.copyOf(photoBytes, photoBytes.length + trailer.length);
            System.arraycopy(trailer, 0, unique, photoBytes.length, trailer.length);
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(cluster.url("/images"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + UPLOAD_TOKEN)
                    .header("Content-Type", "image/jpeg")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(unique)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body() + cluster.logs()).isEqualTo(201);
            Matcher url = Pattern.compile("\"url\"\\s*:\\s*\"([^\"]+)\"").matcher(created.body());
            assertThat(url.find()).as(created.body()).isTrue();
            urls.add(url.group(1));
        }
        // All 12 on one node by chance: 3 × (1/3)^12, about 1 in 180 000.
        long nodesWithUploads = cluster.nodes().stream().filter(n -> uploadsCreated(n) > 0).count();
        assertThat(nodesWithUploads).as("nodes that took uploads").isGreaterThanOrEqualTo(2);
        assertThat(cluster.nodes().stream().mapToLong(ClusterTest::uploadsCreated).sum()).isEqualTo(12);

        // The originals are shared: each upload is served at once, by the node its id hashes to;
        // different images spread over the nodes (all 12 on one: about 1 in 180 000 again).
        long[] before = cluster.renders();
        for (String url : urls) {
            assertThat(get("/w_64" + url).statusCode()).as(url).isEqualTo(200);
        }
        long[] after = cluster.renders();
        assertThat(IntStream.range(0, after.length).filter(i -> after[i] > before[i]).count())
                .as("nodes that rendered the 12 images").isGreaterThanOrEqualTo(2);
    }

    /**
     * Plain uploads spread at random, but every use of one signed upload URL reaches the same
     * node (cluster.conf routes it by its nonce), so its second use is refused there: with
     * random routing, six URLs would each be accepted twice two times in three.
     */
    @Test
    void aSignedUploadUrlIsUsedOnceAcrossTheFleet() throws Exception {
        byte[] photoBytes = fixture("photo.jpg");
        for (int i = 0; i < 6; i++) {
            String path = org.imgorigin.http.SignedUploadsAccess.sign(UPLOAD_TOKEN,
                    System.currentTimeMillis() / 1000 + 120, "cluster-nonce-" + i + "-abcdefgh");
            for (int attempt = 0; attempt < 2; attempt++) {
                byte[] trailer = ("signed-" + i + "-" + attempt).getBytes(StandardCharsets.US_ASCII);
                byte[] unique = Arrays.copyOf(photoBytes, photoBytes.length + trailer.length);
                System.arraycopy(trailer, 0, unique, photoBytes.length, trailer.length);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(cluster.url(path))
                        .timeout(Duration.ofSeconds(60)).header("Content-Type", "image/jpeg")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(unique)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path + " use " + (attempt + 1) + ": " + r.body())
                        .isEqualTo(attempt == 0 ? 201 : 403);
            }
        }
    }

    /** One request of the stream below: when it ran, on which thread, and what came back. */
    record Outcome(String url, long startNanos, long endNanos, int status, String error) {
        boolean overlaps(long from, long to) {
            return startNanos <= to && endNanos >= from;
        }

        @Override
        public String toString() {
            return url + " -> " + (error != null ? error : Integer.toString(status));
        }
    }

    @Test
    void aNodeGoingAwayCostsNoRequestBeyondThoseInFlight() throws Exception {
        List<String> urls = IntStream.range(0, 24).mapToObj(i -> "/w_" + (100 + 10 * i) + "/" + photo + ".webp")
                .toList();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger done = new AtomicInteger();
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(pool.submit(() -> {
                while (running.get()) {
                    String url = urls.get(ThreadLocalRandom.current().nextInt(urls.size()));
                    long start = System.nanoTime();
                    try {
                        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(cluster.url(url))
                                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
                        outcomes.add(new Outcome(url, start, System.nanoTime(), response.statusCode(),
                                response.statusCode() == 200 ? null : new String(response.body(), StandardCharsets.UTF_8)));
                    } catch (IOException e) {
                        outcomes.add(new Outcome(url, start, System.nanoTime(), 0, e.toString()));
                    }
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        long[][] windows = new long[2][];
        Cluster.Node crashed;
        Cluster.Node unreachable;
        try {
            awaitRequests(done, 80);
            // The node with the most renders so far is certainly in the stream's path.
            crashed = busiest(List.of());
            long from = System.nanoTime();
            crashed.stopOrigin();
            windows[0] = new long[] {from, System.nanoTime()};

            awaitRequests(done, done.get() + 80);
            unreachable = busiest(List.of(crashed));
            from = System.nanoTime();
            unreachable.stopNginx();
            unreachable.stopOrigin();
            windows[1] = new long[] {from, System.nanoTime()};

            awaitRequests(done, done.get() + 80);
        } finally {
            running.set(false);
            pool.shutdown();
        }
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        for (Future<?> client : clients) {
            client.get();
        }

        // A failure is allowed only for a request that was in flight while a node stopped (the
        // origin may drop a connection it was answering on); every other request got its image.
        List<Outcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
        List<Outcome> unexcused = failed.stream()
                .filter(o -> Arrays.stream(windows).noneMatch(w -> o.overlaps(w[0], w[1]))).toList();
        assertThat(unexcused).as("failed outside the moments a node stopped, of %d requests\n%s",
                outcomes.size(), cluster.logs()).isEmpty();
        assertThat(failed.size()).as("failed while in flight: %s", failed).isLessThanOrEqualTo(2 * threads);
        System.out.printf("ClusterTest: %d requests while %s crashed and %s went away; %d failed in flight %s%n",
                outcomes.size(), crashed, unreachable, failed.size(), failed);

        // What the balancer saw from the crashed node: its nginx's 503, the one status it retries
        // (an origin's own 502 means its store failed, and is not retried).
        HttpResponse<String> fromCrashed = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + crashed.nginx.port() + urls.getFirst())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(fromCrashed.statusCode()).isEqualTo(503);
        assertThat(fromCrashed.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(fromCrashed.body()).contains("\"status\": 503", "the origin could not be reached");
        // Readable by a page on another origin: it learns why, rather than an opaque CORS error.
        assertThat(fromCrashed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(fromCrashed.headers().firstValue("Cross-Origin-Resource-Policy")).hasValue("cross-origin");

        // The last node now owns every URL: the first request renders it there, the next is its hit.
        Cluster.Node survivor = cluster.nodes().stream().filter(n -> n != crashed && n != unreachable)
                .findFirst().orElseThrow();
        for (String url : urls) {
            get(url);
            HttpResponse<byte[]> hit = get(url);
            assertThat(hit.statusCode()).as(url).isEqualTo(200);
            assertThat(hit.headers().firstValue("X-Cache")).as(url).hasValue("HIT-DISK");
        }
        assertThat(survivor.cached(photo)).hasSize(urls.size());
    }

    @Test
    void purgeCommandEmptiesEveryNodesCacheOfThatImageOnly() throws Exception {
        String alpha = cluster.store("alpha.png");
        // The balancer keeps an image's variants on the node that owns its id, but while a node
        // is down the next one on the ring renders its share, so copies end up on several
        // nodes: what purge must reach. Each node is asked directly for variants of both images.
        List<String> photoUrls = new ArrayList<>();
        List<String> alphaUrls = new ArrayList<>();
        for (Cluster.Node node : cluster.nodes()) {
            for (int w = 100 + 10 * node.index; w < 400; w += 100) {
                photoUrls.add(node.nginx.port() + "/w_" + w + "/" + photo + ".webp");
                alphaUrls.add(node.nginx.port() + "/w_" + w + "/" + alpha + ".png");
                assertThat(direct(photoUrls.getLast()).statusCode()).isEqualTo(200);
                assertThat(direct(alphaUrls.getLast()).statusCode()).isEqualTo(200);
            }
        }
        assertThat(cluster.nodes()).allMatch(n -> !uncached(n, photo) && !uncached(n, alpha));
        Map<Cluster.Node, Integer> alphaCached = new HashMap<>();
        for (Cluster.Node node : cluster.nodes()) {
            alphaCached.put(node, node.cached(alpha).size());
        }

        PurgeCommand.Result purge = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", String.join(",", cluster.nodes().stream().map(Cluster.Node::originUrl).toList()),
                "IMGORIGIN_ADMIN_TOKEN", ADMIN_TOKEN), "", photo);
        assertThat(purge.exit()).as(purge.output()).isZero();
        assertThat(purge.stdout()).isEqualTo("purged " + photo + "\n");
        for (Cluster.Node node : cluster.nodes()) {
            assertThat(purge.stderr()).contains("node " + node.originUrl() + ": 1 ok, 0 failed");
            assertThat(node.cached(photo)).as(node.toString()).isEmpty();
            assertThat(node.cached(alpha)).as(node.toString()).hasSize(alphaCached.get(node));
        }

        // Every photo variant is rendered afresh, on the node that had it; alpha's are still hits.
        for (String url : photoUrls) {
            assertThat(direct(url).headers().firstValue("X-Cache")).as(url).hasValue("MISS");
        }
        for (String url : alphaUrls) {
            assertThat(direct(url).headers().firstValue("X-Cache")).as(url).hasValue("HIT-DISK");
        }
    }

    /** A request to one node's nginx, past the balancer: {@code portAndPath} is "<port>/<path>". */
    private HttpResponse<byte[]> direct(String portAndPath) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portAndPath))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(cluster.url(path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static boolean uncached(Cluster.Node node, String id) {
        try {
            return node.cached(id).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Integer> changed(long[] before, long[] after) {
        return IntStream.range(0, before.length).filter(i -> before[i] != after[i]).boxed().toList();
    }

    private Cluster.Node busiest(List<Cluster.Node> except) {
        return cluster.nodes().stream().filter(n -> !except.contains(n))
                .max(Comparator.comparingLong(Cluster.Node::renders)).orElseThrow();
    }

    private static void awaitRequests(AtomicInteger done, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (done.get() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + done.get() + " of " + count + " requests done after 120 s");
            }
            Thread.sleep(20);
        }
    }

    private static long uploadsCreated(Cluster.Node node) {
        Matcher m = Pattern.compile("(?m)^imgorigin_uploads_total\\{outcome=\"created\"} ([0-9.eE+]+)$")
                .matcher(node.server.metrics().scrape());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = ClusterTest.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }
}
