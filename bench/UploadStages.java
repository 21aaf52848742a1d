/*
 * Where an upload's CPU goes, stage by stage, in one JVM, on real photos: the split behind
 * the end-to-end numbers of bench/uploads.sh.
 *
 * usage (from the repository root, after `mvn -DskipTests package`):
 *   java --enable-native-access=ALL-UNNAMED -XX:+UseZGC -Xms1g -Xmx1g -XX:+AlwaysPreTouch \
 *        -cp target/imgorigin.jar bench/UploadStages.java [--passes N] [--warmup N] [--dir D]
 *        [--s3 s3://bucket/prefix --s3-endpoint http://127.0.0.1:PORT] photo.jpg...
 *
 * Each pass takes every photo once, with a few unique bytes appended after its JPEG EOI
 * marker (so each pass stores new objects, as uploads of distinct photos do), and runs the
 * stages of POST /images on it one after another, as the server does:
 *   receive       org.imgorigin.upload.Receiver fed in 8 KiB chunks, each first copied out
 *                 of its network buffer (as Vert.x's Buffer.getBytes does): the event-loop
 *                 part: copies, SHA-256, sniff, finish()
 *   sha256        MessageDigest SHA-256 over the whole body alone (part of receive)
 *   sniff         ImageFormat.sniff of the first 16 bytes (part of receive)
 *   (the rest of receive: chunk copies, buffer growth, toByteArray, page faults of new heap)
 *   header parse  Renderer.inspect: copy into native memory + libvips header read, no pixels
 *   file exists   FileStore.exists (a stat)
 *   file put      FileStore.put: mkdirs, temp file, write, fsync, atomic rename
 *   s3 exists     S3Store.exists: HeadObject          (only with --s3)
 *   s3 put        S3Store.put: PutObject, SigV4       (only with --s3)
 * CPU is this thread's CPU time (ThreadMXBean), so GC and JIT threads are not in it; wall
 * time is also shown (fsync and S3 round trips wait without CPU). Per stage the figure is
 * the median over the measured passes of the mean per upload. Output: a Markdown table, and
 * one line `stages key=value...` for scripts. S3 credentials come from the AWS default chain.
 * A pre-touched heap (as above) keeps first-touch page faults of fresh heap out of the
 * copies; without it they can double the cost of receive on a VM.
 */
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.store.S3Settings;
import org.imgorigin.upload.Receiver;

public class UploadStages {
    static final int CHUNK = 8 * 1024; // Vert.x's default HTTP/1 max chunk size
    static final int SNIFF_LOOPS = 10_000; // one sniff is nanoseconds: time many
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Per stage: for every measured pass, total CPU and wall nanoseconds. */
    static final class Stage {
        final String name;
        final boolean partOfReceive;
        final List<long[]> passes = new ArrayList<>();
        long cpu;
        long wall;

        Stage(String name, boolean partOfReceive) {
            this.name = name;
            this.partOfReceive = partOfReceive;
        }

        void add(long cpuNanos, long wallNanos) {
            cpu += cpuNanos;
            wall += wallNanos;
        }

        void endPass(boolean measured) {
            if (measured) {
                passes.add(new long[] {cpu, wall});
            }
            cpu = 0;
            wall = 0;
        }

        double medianPerUpload(int which, int uploadsPerPass) {
            double[] v = passes.stream().mapToDouble(p -> (double) p[which] / uploadsPerPass).sorted().toArray();
            int n = v.length;
            return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        }
    }

    interface Work {
        void run() throws Exception;
    }

    static void time(Stage stage, Work work) throws Exception {
        long c0 = THREADS.getCurrentThreadCpuTime();
        long w0 = System.nanoTime();
        work.run();
        long w1 = System.nanoTime();
        long c1 = THREADS.getCurrentThreadCpuTime();
        stage.add(c1 - c0, w1 - w0);
    }

    public static void main(String[] args) throws Exception {
        int passes = 10;
        int warmup = 3;
        Path dir = null;
        String s3Url = null;
        String s3Endpoint = null;
        List<Path> photos = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--s3" -> s3Url = args[++i];
                case "--s3-endpoint" -> s3Endpoint = args[++i];
                default -> photos.add(Path.of(args[i]));
            }
        }
        if (photos.isEmpty() || passes < 1 || warmup < 0) {
            System.err.println("usage: UploadStages [--passes N] [--warmup N] [--dir D] "
                    + "[--s3 s3://bucket/prefix --s3-endpoint URL] photo...");
            System.exit(2);
        }
        boolean ownDir = dir == null;
        if (ownDir) {
            dir = Files.createTempDirectory("upload-stages");
        }
        List<byte[]> originals = new ArrayList<>();
        long totalBytes = 0;
        for (Path p : photos) {
            byte[] b = Files.readAllBytes(p);
            originals.add(b);
            totalBytes += b.length;
        }
        double meanMb = totalBytes / (double) photos.size() / 1e6;

        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        OriginalStore file = OriginalStores.file(dir.resolve("originals"));
        OriginalStore s3 = s3Url == null ? null
                : OriginalStores.s3(S3Settings.parse(s3Url, Optional.ofNullable(s3Endpoint), "us-east-1", true));
        if (s3 != null) {
            s3.check();
        }

        Stage receive = new Stage("receive (copy + SHA-256 + sniff, 8 KiB chunks)", false);
        Stage sha = new Stage("sha256", true);
        Stage sniff = new Stage("sniff", true);
        Stage inspect = new Stage("header parse (libvips)", false);
        Stage fileExists = new Stage("file exists", false);
        Stage filePut = new Stage("file put (write + fsync + rename)", false);
        Stage s3Exists = new Stage("s3 exists (HeadObject)", false);
        Stage s3Put = new Stage("s3 put (PutObject)", false);
        List<Stage> stages = new ArrayList<>(List.of(receive, sha, sniff, inspect, fileExists, filePut));
        if (s3 != null) {
            stages.addAll(List.of(s3Exists, s3Put));
        }

        String run = Long.toString(System.nanoTime(), 36);
        long sink = 0;
        for (int pass = 0; pass < warmup + passes; pass++) {
            boolean measured = pass >= warmup;
            for (int i = 0; i < originals.size(); i++) {
                byte[] photo = originals.get(i);
                byte[] tail = ("\nimgorigin-stages-" + run + "-" + pass + "-" + i).getBytes(StandardCharsets.US_ASCII);
                byte[] bytes = Arrays.copyOf(photo, photo.length + tail.length);
                System.arraycopy(tail, 0, bytes, photo.length, tail.length);

                Receiver.Body[] body = new Receiver.Body[1];
                time(receive, () -> {
                    Receiver r = new Receiver(50_000_000L);
                    for (int off = 0; off < bytes.length; off += CHUNK) {
                        r.append(Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + CHUNK)));
                    }
                    body[0] = r.finish();
                });
                byte[][] digest = new byte[1][];
                time(sha, () -> digest[0] = MessageDigest.getInstance("SHA-256").digest(bytes));
                ImageId id = new ImageId(HexFormat.of().formatHex(digest[0]).substring(0, 40));
                if (!id.equals(body[0].id())) {
                    throw new IllegalStateException("Receiver and MessageDigest disagree on " + photos.get(i));
                }
                byte[] head = Arrays.copyOf(bytes, 16);
                long[] found = {0};
                time(sniff, () -> {
                    for (int k = 0; k < SNIFF_LOOPS; k++) {
                        found[0] += ImageFormat.sniff(head).orElseThrow().ordinal() + 1;
                    }
                });
                sink += found[0];
                time(inspect, () -> {
                    var info = renderer.inspect(bytes);
                    if (info.format() != ImageFormat.JPEG || info.pixels() <= 0) {
                        throw new IllegalStateException("unexpected header " + info);
                    }
                });
                time(fileExists, () -> {
                    if (file.exists(id)) {
                        throw new IllegalStateException("already stored: " + id);
                    }
                });
                time(filePut, () -> file.put(id, bytes, "image/jpeg"));
                if (s3 != null) {
                    time(s3Exists, () -> {
                        if (s3.exists(id)) {
                            throw new IllegalStateException("already in S3: " + id);
                        }
                    });
                    time(s3Put, () -> s3.put(id, bytes, "image/jpeg"));
                }
            }
            for (Stage s : stages) {
                s.endPass(measured);
            }
        }
        if (sink == 42) {
            System.err.println(); // keeps the sniff loop from being optimised away
        }

        int n = originals.size();
        // sniff was timed SNIFF_LOOPS times per upload.
        Map<Stage, double[]> us = new LinkedHashMap<>();
        for (Stage s : stages) {
            double div = s == sniff ? SNIFF_LOOPS : 1;
            us.put(s, new double[] {s.medianPerUpload(0, n) / 1e3 / div, s.medianPerUpload(1, n) / 1e3 / div});
        }
        double fileTotal = us.get(receive)[0] + us.get(inspect)[0] + us.get(fileExists)[0] + us.get(filePut)[0];
        double s3Total = s3 == null ? Double.NaN
                : us.get(receive)[0] + us.get(inspect)[0] + us.get(s3Exists)[0] + us.get(s3Put)[0];

        System.out.printf(Locale.ROOT, "%d photos (%.2f MB mean) × %d measured passes (after %d warm-up passes); "
                + "CPU = this thread's CPU time; median over passes of the mean per upload.%n%n",
                n, meanMb, passes, warmup);
        System.out.println("| stage | CPU µs / upload | CPU µs / MB | share of file path | "
                + (s3 != null ? "share of S3 path | " : "") + "wall µs / upload |");
        System.out.println("|---|---:|---:|---:|" + (s3 != null ? "---:|" : "") + "---:|");
        for (Stage s : stages) {
            double cpu = us.get(s)[0];
            double wall = us.get(s)[1];
            boolean inFile = s != s3Exists && s != s3Put;
            boolean inS3 = s != fileExists && s != filePut;
            String name = s.partOfReceive ? "&nbsp;&nbsp;of which " + s.name : s.name;
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s%s |%n", name, fmt(cpu), fmt(cpu / meanMb),
                    inFile ? pct(cpu / fileTotal) : "–",
                    s3 != null ? (inS3 ? pct(cpu / s3Total) : "–") + " | " : "", fmt(wall));
            if (s == sniff) {
                // What receive costs beyond hashing: chunk copies, buffer growth, the final
                // toByteArray, and the page faults of freshly allocated heap.
                double copies = us.get(receive)[0] - us.get(sha)[0] - us.get(sniff)[0];
                double copiesWall = us.get(receive)[1] - us.get(sha)[1] - us.get(sniff)[1];
                System.out.printf(Locale.ROOT, "| &nbsp;&nbsp;of which copies + allocation (the rest) | %s | %s | %s | %s%s |%n",
                        fmt(copies), fmt(copies / meanMb), pct(copies / fileTotal),
                        s3 != null ? pct(copies / s3Total) + " | " : "", fmt(copiesWall));
            }
        }
        System.out.printf(Locale.ROOT, "| **total, file store** | **%s** | %s | 100%% | %s%s |%n", fmt(fileTotal),
                fmt(fileTotal / meanMb), s3 != null ? "– | " : "",
                fmt(us.get(receive)[1] + us.get(inspect)[1] + us.get(fileExists)[1] + us.get(filePut)[1]));
        if (s3 != null) {
            System.out.printf(Locale.ROOT, "| **total, S3 store** | **%s** | %s | – | 100%% | %s |%n", fmt(s3Total),
                    fmt(s3Total / meanMb),
                    fmt(us.get(receive)[1] + us.get(inspect)[1] + us.get(s3Exists)[1] + us.get(s3Put)[1]));
        }
        StringBuilder line = new StringBuilder("stages");
        line.append(String.format(Locale.ROOT, " mean_mb=%.3f", meanMb));
        String[] keys = {"receive", "sha256", "sniff", "inspect", "file_exists", "file_put", "s3_exists", "s3_put"};
        Stage[] all = {receive, sha, sniff, inspect, fileExists, filePut, s3Exists, s3Put};
        for (int k = 0; k < keys.length; k++) {
            if (us.containsKey(all[k])) {
                line.append(String.format(Locale.ROOT, " %s_us=%.2f", keys[k], us.get(all[k])[0]));
            }
        }
        line.append(String.format(Locale.ROOT, " copies_us=%.2f",
                us.get(receive)[0] - us.get(sha)[0] - us.get(sniff)[0]));
        line.append(String.format(Locale.ROOT, " file_total_us=%.1f", fileTotal));
        if (s3 != null) {
            line.append(String.format(Locale.ROOT, " s3_total_us=%.1f", s3Total));
        }
        System.out.println();
        System.out.println(line);
        if (s3 != null) {
            s3.close();
        }
        file.close();
        if (ownDir) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }
}
