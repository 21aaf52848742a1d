package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * No handler holds an event loop: a representative mix of requests (uploads, cold renders,
 * cache hits from memory or from disk, HEAD, 304, 404, 400, purges, metrics, readiness, analytics, the upload page)
 * from several clients at once, with Vert.x's blocked-thread checker at
 * {@link TestOrigin#BLOCKED_MILLIS}, and not one "has been blocked for" warning may appear.
 * A first pass of each kind warms the JVM up first: loading and initialising classes on first
 * use (Jackson, the HTTP codec, libvips' loaders) is not a blocking call and happens once.
 */
class EventLoopBlockingTest {
    static final int CLIENTS = 4;
    static final int ROUNDS = 6;

    @TempDir
    Path root;

    /** With the memory tier (hits from memory) and without it (every hit read from disk, sent with sendfile). */
    @ParameterizedTest(name = "memory cache {0}")
    @ValueSource(strings = {"256MB", "0"})
    void aMixOfRequestsNeverBlocksAnEventLoop(String memoryCache) throws Exception {
        List<String> images = new ArrayList<>();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_MEMORY_CACHE_BYTES", memoryCache);
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5)).build()) {
            Mix mix = new Mix(http, "http://127.0.0.1:" + server.port());
            images.add(mix.upload(HostileInputs.jpeg(400, 300)));
            mix.round(images.getFirst(), 0);
            List<String> warmUp = TestOrigin.blockedThreadWarnings();
            System.out.println("EventLoopBlockingTest: " + warmUp.size() + " blocked-thread warnings in this JVM before "
                    + "the mix (start-up and first use):");
            warmUp.forEach(w -> System.out.println("  " + firstLines(w)));

            ConcurrentHashMap<Integer, Integer> statuses = new ConcurrentHashMap<>();
            AtomicInteger requests = new AtomicInteger();
            long start = System.nanoTime();
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    done.add(clients.submit(() -> {
                        for (int round = 1; round <= ROUNDS; round++) {
                            // A new original every round (a miss for every variant of it), and
                            // the first one again (hits, then misses after its purge).
                            String id = mix.upload(HostileInputs.jpeg(300 + 40 * client, 200 + 10 * round));
                            mix.round(id, round).forEach((status, n) -> statuses.merge(status, n, Integer::sum));
                            mix.round(images.getFirst(), round).forEach((status, n) -> statuses.merge(status, n, Integer::sum));
                            requests.addAndGet(2 * Mix.REQUESTS_PER_ROUND + 1);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            List<String> blocked = TestOrigin.blockedThreadWarnings().subList(warmUp.size(),
                    TestOrigin.blockedThreadWarnings().size());
            System.out.println("EventLoopBlockingTest: memory cache " + memoryCache + ": " + requests.get()
                    + " requests from " + CLIENTS + " clients in " + millis + " ms, statuses " + statuses + ", " + blocked.size() + " blocked-thread warnings");
            blocked.forEach(w -> System.out.println("EventLoopBlockingTest: " + w));
            assertThat(statuses).containsKeys(200, 304, 400, 404);
            assertThat(blocked).as("event loops held longer than " + TestOrigin.BLOCKED_MILLIS + " ms").isEmpty();
        }
    }

    private static String firstLines(String warning) {
        String[] lines = warning.split("\n");
        StringBuilder out = new StringBuilder(lines[0]);
        for (int i = 1, shown = 0; i < lines.length && shown < 4; i++) {
            if (lines[i].contains("org.imgorigin") || shown == 0 && i == 2) {
                out.append(" | ").append(lines[i].strip());
                shown++;
            }
        }
        return out.toString();
    }

    /** The requests of one round against one image; returns how many of each status came back. */
    private record Mix(HttpClient http, String base) {
        static final int REQUESTS_PER_ROUND = 18;

        String upload(byte[] jpeg) throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/images"))
                    .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)));
            assertThat(r.statusCode()).isIn(200, 201);
            return TestOrigin.idOf(jpeg);
        }

        java.util.Map<Integer, Integer> round(String id, int round) throws Exception {
            java.util.Map<Integer, Integer> statuses = new java.util.HashMap<>();
            String variant = "/w_" + (100 + 20 * (round % 3)) + "/" + id + ".webp";
            List<HttpRequest.Builder> requests = List.of(
                    get(variant),                                   // miss, or a memory hit
                    get(variant),                                   // hit
                    get(variant).header("If-None-Match", "\"nope\""),
                    get("/w_0.5,q_auto,f_auto/" + id).header("Accept", "image/avif,image/webp"),
                    get("/c_fill,w_64,h_64/" + id + ".png"),
                    get("/" + id + ".jpg").method("HEAD", HttpRequest.BodyPublishers.noBody()),
                    get("/images/" + id),
                    get("/w_100/0123456789abcdef0123456789abcdef01234567.webp"), // 404
                    get("/w_bogus/" + id + ".webp"),                  // 400
                    get("/healthz"),
                    get("/readyz"),
                    get("/metrics"),
                    get("/analytics"),
                    get("/"),
                    get("/no/such/thing"),
                    get(variant).header("Accept", "image/webp"));
            String etag = null;
            for (HttpRequest.Builder request : requests) {
                HttpResponse<String> r = send(request);
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (etag == null) {
                    etag = r.headers().firstValue("ETag").orElse(null);
                }
            }
            if (etag != null) {
                statuses.merge(send(get(variant).header("If-None-Match", etag)).statusCode(), 1, Integer::sum);
            }
            // Purge every variant: the next round renders them again.
            statuses.merge(send(HttpRequest.newBuilder(URI.create(base + "/admin/purge/" + id))
                    .POST(HttpRequest.BodyPublishers.noBody())).statusCode(), 1, Integer::sum);
            return statuses;
        }

        private HttpRequest.Builder get(String path) {
            return HttpRequest.newBuilder(URI.create(base + path));
        }

        private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
