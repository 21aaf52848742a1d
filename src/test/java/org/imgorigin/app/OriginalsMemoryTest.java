package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client can make a node hold in memory with ordinary-looking requests. Before,
 * every miss for a different width read the whole original into its own array before the
 * render queue could answer 429: forty widths of one 16 MB JPEG against a 256 MB heap gave
 * 500s and {@code OutOfMemoryError}. Now a render is admitted before its original is read,
 * the variants of one original share one copy, and an original over
 * {@code IMGORIGIN_MAX_ORIGINAL_BYTES} is refused from its size.
 */
class OriginalsMemoryTest {
    private static final Pattern GAUGE = Pattern.compile("^(\\w+)(\\{[^}]*\\})? ([0-9.eE+-]+)$");

    @TempDir
    Path root;

    @Test
    void fortyWidthsOfA16MegabyteOriginalWithA256MegabyteHeapAnswerOnly200Or429() throws Exception {
        byte[] large = noiseJpeg(3400, 2400, 31);
        assertThat(large.length).as("the original's bytes").isGreaterThan(15_000_000);
        String id = put(large);
        String small = TestOrigin.store(root, "photo.jpg");
        try (ServerProcess server = ServerProcess.start(root,
                List.of("-Xms256m", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
                "IMGORIGIN_WORKERS", "2", "IMGORIGIN_MEMORY_CACHE_BYTES", "32MB");
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            AtomicBoolean sampling = new AtomicBoolean(true);
            AtomicLong peakOriginals = new AtomicLong();
            AtomicLong peakHeap = new AtomicLong();
            java.util.concurrent.atomic.AtomicInteger samples = new java.util.concurrent.atomic.AtomicInteger();
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (sampling.get()) {
                    try {
                        Map<String, Double> m = metrics(http, server.base());
                        peakOriginals.accumulateAndGet(m.getOrDefault("imgorigin_originals_memory_bytes", 0.0)
                                .longValue(), Math::max);
                        peakHeap.accumulateAndGet(m.getOrDefault("heap", 0.0).longValue(), Math::max);
                        samples.incrementAndGet();
                        Thread.sleep(50);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                answers.add(http.sendAsync(HttpRequest.newBuilder(
                                URI.create(server.base() + "/w_" + (200 + 10 * i) + "/" + id + ".webp"))
                        .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Map<Integer, Integer> statuses = new TreeMap<>();
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> r = answer.get();
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 429) {
                    assertThat(new JsonObject(r.body()).getInteger("status")).isEqualTo(429);
                }
            }
            sampling.set(false);
            sampler.join();
            long hwmKiB = Long.parseLong(Files.readAllLines(Path.of("/proc/" + server.pid() + "/status")).stream()
                    .filter(l -> l.startsWith("VmHWM:")).findFirst().orElseThrow().replaceAll("[^0-9]", ""));
            System.out.println("OriginalsMemoryTest: statuses " + statuses + ", peak originals in memory "
                    + peakOriginals.get() / 1_000_000 + " MB, peak heap used " + peakHeap.get() / 1_000_000
                    + " MB, peak RSS " + hwmKiB / 1024 + " MiB (original " + large.length / 1_000_000 + " MB)");
            assertThat(statuses.keySet()).as("only 200 and 429").isSubsetOf(200, 429);
            assertThat(statuses.getOrDefault(200, 0)).as("some were served").isGreaterThanOrEqualTo(2);
            assertThat(samples.get()).as("metrics samples taken").isGreaterThan(3);
            assertThat(peakOriginals.get()).as("one copy of the original, not one per variant")
                    .isGreaterThan(0).isLessThanOrEqualTo(large.length);
            // The node is still up and serves everyone else.
            HttpResponse<byte[]> ordinary = http.send(HttpRequest.newBuilder(
                    URI.create(server.base() + "/w_120/" + small + ".webp")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(ordinary.statusCode()).isEqualTo(200);
            assertThat(server.log()).doesNotContain("OutOfMemoryError");
        }
    }

    @Test
    void anOriginalOverTheByteCapIs422FromItsSizeAlone() throws Exception {
        byte[] large = noiseJpeg(1200, 900, 7);
        assertThat(large.length).isGreaterThan(1_000_000);
        String id = put(large);
        try (Server server = TestOrigin.start(root, "IMGORIGIN_MAX_ORIGINAL_BYTES", "1MB");
                HttpClient http = HttpClient.newBuilder().build()) {
            for (String path : List.of("/w_100/" + id + ".webp", "/" + id, "/images/" + id)) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(422);
                assertThat(new JsonObject(r.body()).getString("error")).as(path)
                        .contains("over the limit of 1000000 bytes");
            }
        }
    }

    private String put(byte[] bytes) throws Exception {
        String id = TestOrigin.idOf(bytes);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), bytes, "image/jpeg");
        }
        return id;
    }

    /** Noise at JPEG quality 100: about 2.5 bytes a pixel, the heaviest ordinary JPEG there is. */
    static byte[] noiseJpeg(int width, int height, long seed) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The gauges of {@code /metrics}, with the heap's areas summed under "heap". */
    private static Map<String, Double> metrics(HttpClient http, String base) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> values = new TreeMap<>();
        double heap = 0;
        for (String line : text.split("\n")) {
            Matcher m = GAUGE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            double value = Double.parseDouble(m.group(3));
            if (m.group(1).equals("jvm_memory_used_bytes") && m.group(2) != null
                    && m.group(2).contains("area=\"heap\"")) {
                heap += value;
            }
            values.merge(m.group(1), value, Double::sum);
        }
        values.put("heap", heap);
        return values;
    }
}
