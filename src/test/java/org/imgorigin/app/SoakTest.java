package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed traffic for a bounded time against a server in its own JVM: cache hits, misses
 * (new widths, past a small disk bound so eviction runs), uploads of new images, unknown
 * ids and malformed URLs, from four clients at once. The server's resident memory is
 * sampled twice a second; after a warm-up it must stay under {@link #RSS_BOUND_MB} and show
 * no growth trend: the floor it returns to between renders may rise by less than
 * {@link #GROWTH_BOUND_MB} from the first to the last quarter of the run. The heap is fixed
 * and pre-touched, so what could grow is native: libvips and its encoders, malloc arenas,
 * Netty's direct buffers, threads. The server runs on glibc's malloc, the harder case
 * ({@code bin/imgorigin serve} and the Docker image preload jemalloc).
 *
 * <p>{@code -Dimgorigin.soakSeconds=N} runs longer (default 75);
 * {@code -Dimgorigin.soakPreload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2} runs on jemalloc.
 */
class SoakTest {
    private static final Logger LOG = Logger.getLogger(SoakTest.class.getName());
    static final int HEAP_MB = 256;
    static final int RSS_BOUND_MB = 1024;
    static final int GROWTH_BOUND_MB = 64;

    @TempDir
    Path root;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void mixedTrafficKeepsMemoryBoundedAndFlat() throws Exception {
        int seconds = Integer.getInteger("imgorigin.soakSeconds", 75);
        String photo = TestOrigin.store(root, "photo.jpg");
        String alpha = TestOrigin.store(root, "alpha.png");
        String face = TestOrigin.store(root, "astronaut.jpg");
        byte[] uploadBase = ServeImagesContract.fixture("photo.jpg");
        try (ServerProcess server = ServerProcess.start(root,
                List.of("-Xms" + HEAP_MB + "m", "-Xmx" + HEAP_MB + "m", "-XX:+AlwaysPreTouch"),
                "IMGORIGIN_CACHE_MAX_BYTES", "8MB", "IMGORIGIN_MEMORY_CACHE_BYTES", "16MB", "IMGORIGIN_WORKERS", "2",
                "LD_PRELOAD", System.getProperty("imgorigin.soakPreload", ""))) {
            String base = server.base();
            Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
            AtomicInteger sequence = new AtomicInteger();
            LongAdder facesAndTexts = new LongAdder();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    while (System.nanoTime() < end) {
                        int n = sequence.incrementAndGet();
                        try {
                            int status = request(base, n, photo, alpha, face, uploadBase);
                            statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
                            if (n % 10 == 6 && status == 200) {
                                facesAndTexts.increment();
                            }
                        } catch (Exception e) {
                            statuses.computeIfAbsent(-1, k -> new LongAdder()).increment();
                        }
                    }
                }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
            }
            List<double[]> samples = new ArrayList<>(); // {seconds since start, RSS MB}
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                Thread.sleep(500);
                samples.add(new double[] {(System.nanoTime() - start) / 1e9, rssMb(server.pid())});
            }
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

            // After the warm-up quarter: the floor (lowest RSS) of each quarter of what is left.
            // Renders come and go (an AVIF encode of a 1600 px image holds ~50 MB for a moment),
            // so peaks are noise; a leak raises the floor that memory returns to.
            List<double[]> measured = samples.subList(samples.size() / 4, samples.size());
            double max = measured.stream().mapToDouble(s -> s[1]).max().orElseThrow();
            int q = measured.size() / 4;
            double[] floors = new double[4];
            for (int i = 0; i < 4; i++) {
                floors[i] = measured.subList(i * q, i == 3 ? measured.size() : (i + 1) * q).stream()
                        .mapToDouble(s -> s[1]).min().orElseThrow();
            }
            double growth = floors[3] - floors[0];
            LOG.info(String.format("soak: %d s, %d requests %s; RSS after warm-up: max %.0f MB, floors %.0f / %.0f /"
                    + " %.0f / %.0f MB; samples %s", seconds, sequence.get(), statuses, max, floors[0], floors[1],
                    floors[2], floors[3], samples.stream().map(x -> String.format("%.0f", x[1])).toList()));
            assertThat(statuses.getOrDefault(-1, new LongAdder()).sum()).as("requests without an answer").isZero();
            assertThat(statuses.getOrDefault(500, new LongAdder()).sum()).as("500s").isZero();
            assertThat(statuses.get(200).sum()).as("successful requests").isGreaterThan(100);
            assertThat(facesAndTexts.sum()).as("face crops and text layers rendered").isGreaterThan(20);
            assertThat(max).as("resident memory (MB), heap fixed at %d MB", HEAP_MB).isLessThan(RSS_BOUND_MB);
            assertThat(growth).as("growth of the RSS floor from the first to the last quarter (MB)")
                    .isLessThan(GROWTH_BOUND_MB);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        }
    }

    /** One request of the mix; returns its status. */
    private int request(String base, int n, String photo, String alpha, String face, byte[] uploadBase)
            throws Exception {
        String id = n % 2 == 0 ? photo : alpha;
        HttpRequest request = switch (n % 10) {
            // Hits: a working set of 24 variants.
            case 0, 1, 2, 3, 4 -> get(base + "/w_" + (100 + n % 24 * 10) + "/" + id + ".webp");
            // Misses: variants never asked before; the 8 MB disk bound keeps evicting.
            case 5 -> get(base + "/w_" + (400 + n % 1200) + ",q_" + (30 + n / 1200 % 70) + "/" + id
                    + (n % 3 == 0 ? ".avif" : ".jpg"));
            // Misses that run OpenCV's face detector (a new crop each time) and Pango (a new text
            // layer each time): native code outside libvips' own accounting.
            case 6 -> n % 4 < 2
                    ? get(base + "/c_thumb,g_face,w_" + (100 + n % 500) + ",h_" + (100 + n / 500 % 400) + "/" + face
                            + ".webp")
                    : get(base + "/co_rgb:ffffff,l_text:DejaVu%20Sans_" + (20 + n % 60) + "_bold:soak%20" + n
                            + ",g_south/w_" + (300 + n % 500) + "/" + photo + ".jpg");
            // Uploads: new bytes each time (the photo with a counter after its end marker).
            case 7 -> HttpRequest.newBuilder(URI.create(base + "/images")).header("Content-Type", "image/jpeg")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(withTrailer(uploadBase, n))).build();
            // Unknown ids and malformed URLs.
            case 8 -> get(base + "/w_100/" + "0123456789abcdef0123456789abcdef0123" + String.format("%04x", n % 65536)
                    + ".webp");
            default -> get(base + "/w_abc,zz_1/" + id + ".webp");
        };
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Accept", "image/avif,image/webp,*/*").build();
    }

    private static byte[] withTrailer(byte[] jpeg, int n) {
        return ByteBuffer.allocate(jpeg.length + 4).put(jpeg).putInt(n).array();
    }

    private static double rssMb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

}
