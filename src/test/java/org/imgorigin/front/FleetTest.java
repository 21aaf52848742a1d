package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/fleet.sh's day of traffic, shortened to 30 s, through {@code bin/imgorigin stack} (Varnish,
 * the balancer, three nodes each behind its own nginx) over S3 (S3Proxy in this JVM), with its
 * events: node 2's origin killed and started again, a purge storm, S3 stopped for 5 s, and
 * deletions followed by purges. The invariants:
 *
 * <ul>
 *   <li>no 5xx and no unanswered request outside the S3 outage, except requests in flight at
 *       the node's SIGKILL;</li>
 *   <li>nothing deleted and purged is served afterwards by any tier: the CDN, or any node asked
 *       directly;</li>
 *   <li>the ring heals: after the restart the balancer sends node 2 its share again.</li>
 * </ul>
 * The workload and the replay are bench/fleet_workload.py and bench/fleet_client.py, so this
 * also keeps the benchmark working.
 */
class FleetTest {
    private static final double OUTAGE_GRACE_S = 5;

    @TempDir
    Path dir;

    @Test
    void aShortDayKeepsItsInvariants() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/varnishd")) && Files.isExecutable(Path.of("/usr/sbin/nginx")),
                "nginx and varnishd are needed");
        assumeTrue(onPath("python3") && onPath("varnishstat"), "python3 and varnishstat are needed");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        int base = freeBase();
        int s3Port = base + 28;
        int controlPort = base + 29;
        Path s3Dir = dir.resolve("s3");
        Files.createDirectories(s3Dir.resolve("fleet"));
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", s3Dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").overrides(props).credentials("k", "s")
                .build(BlobStoreContext.class);
        S3Control s3 = new S3Control(context.getBlobStore(), s3Port);
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", controlPort), 8);
        control.createContext("/", exchange -> {
            String path = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
            String answer = "get=0 get_bytes=0 head=0 put=0 put_bytes=0 delete=0 up=1\n";
            try {
                if (path.equals("POST /stop")) {
                    s3.stop();
                } else if (path.equals("POST /start")) {
                    s3.start();
                }
            } catch (Exception e) {
                answer = "failed\n";
            }
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        control.start();
        Path stackDir = dir.resolve("stack");
        Map<String, String> env = new HashMap<>(Map.of(
                "IMGORIGIN_STACK_PORT", Integer.toString(base),
                "IMGORIGIN_STACK_DIR", stackDir.toString(),
                "IMGORIGIN_STACK_CLASSPATH", System.getProperty("java.class.path"),
                "IMGORIGIN_JAVA_OPTS", "-Xmx256m",
                "JAVA_HOME", System.getProperty("java.home"),
                "IMGORIGIN_STACK_ORIGINALS", "s3://fleet",
                "IMGORIGIN_S3_ENDPOINT", "http://127.0.0.1:" + s3Port,
                "IMGORIGIN_S3_PATH_STYLE", "true",
                "AWS_ACCESS_KEY_ID", "k",
                "AWS_SECRET_ACCESS_KEY", "s"));
        env.putAll(Map.of("AWS_REGION", "us-east-1", "IMGORIGIN_UPLOAD_TOKEN", "fleet-upload-token",
                "IMGORIGIN_ADMIN_TOKEN", "fleet-admin-token", "IMGORIGIN_ACCESS_LOG", "false",
                "IMGORIGIN_WORKERS", "1"));
        String nodes = "http://127.0.0.1:" + (base + 21) + ",http://127.0.0.1:" + (base + 22) + ",http://127.0.0.1:"
                + (base + 23);
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            Path bases = Files.createDirectories(dir.resolve("bases"));
            Files.copy(Path.of("src/test/resources/images/photo.jpg"), bases.resolve("0.jpg"));
            Path workload = dir.resolve("workload");
            Run made = run(env, "python3", "bench/fleet_workload.py", "--out", workload.toString(), "--seed", "5",
                    "--images", "300", "--bases", "1", "--yesterday", "1", "--duration", "30", "--views", "1.5",
                    "--deletes", "3", "--storm", "10", "--s3-outage", "5");
            assertThat(made.exit).as(made.output).isZero();
            Path manifest = dir.resolve("manifest.tsv");
            Run seeded = run(env, "python3", "bench/fleet_client.py", "seed", "--catalogue",
                    workload.resolve("catalogue.tsv").toString(), "--bases", bases.toString(), "--s3-dir", s3Dir.toString(),
                    "--bucket", "fleet", "--manifest", manifest.toString());
            assertThat(seeded.exit).as(seeded.output).isZero();

            Run start = run(env, "bin/imgorigin", "stack", "start", "3");
            try {
                assertThat(start.exit).as(start.output).isZero();
                Path out = dir.resolve("out");
                Run replay = run(env, "python3", "bench/fleet_client.py", "replay",
                        "--log", workload.resolve("today.log").toString(), "--out", out.toString(), "--speed", "1",
                        "--sample", "2", "--manifest", manifest.toString(),
                        "--catalogue", workload.resolve("catalogue.tsv").toString(), "--bases", bases.toString(),
                        "--cdn", "http://127.0.0.1:" + base, "--balancer", "http://127.0.0.1:" + (base + 1),
                        "--nodes", nodes, "--s3-control", "http://127.0.0.1:" + controlPort,
                        "--stack-cmd", Path.of("bin/imgorigin").toAbsolutePath() + " stack",
                        "--stack-dir", stackDir.toString(), "--storm", workload.resolve("storm.txt").toString(),
                        "--threads", "16");
                assertThat(replay.exit).as(replay.output).isZero();
                String events = Files.readString(out.resolve("events.tsv"));
                assertThat(events).contains("kill-node", "node-started\t2 rc=0", "purge-storm-done", "s3-started");
                assertThat(events).doesNotContain("delete-failed", "purge-failed", "client-error");

                // Nothing deleted is served by any tier: the CDN and each node, asked directly.
                Run check = run(env, "python3", "bench/fleet_client.py", "check", "--requests",
                        out.resolve("requests.tsv").toString(), "--deleted", out.resolve("deleted.tsv").toString(),
                        "--cdn", "http://127.0.0.1:" + base, "--nodes", nodes);
                assertThat(check.exit).as(check.output).isZero();
                assertThat(Files.readAllLines(out.resolve("deleted.tsv"))).as("deletions in the day").isNotEmpty();

                double kill = eventTime(events, "kill-node");
                double outageStart = eventTime(events, "s3-stop");
                double outageEnd = eventTime(events, "s3-started") + OUTAGE_GRACE_S;
                List<String> bad = new ArrayList<>();
                int ok = 0;
                int cdnHits = 0;
                List<String> lines = Files.readAllLines(out.resolve("requests.tsv"));
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.split("\t", -1);
                    double t = Double.parseDouble(f[0]);
                    double end = t + Double.parseDouble(f[1]) / 1000;
                    int status = Integer.parseInt(f[2]);
                    ok += status == 200 ? 1 : 0;
                    cdnHits += f[4].startsWith("HIT") ? 1 : 0;
                    boolean failed = status == 0 || status >= 500;
                    // In the outage: any request that overlapped it (one in flight when S3
                    // stopped fails with the S3 GET it was waiting for).
                    boolean inOutage = end >= outageStart && t <= outageEnd;
                    boolean inFlightAtKill = t <= kill && end >= kill;
                    if (failed && !inOutage && !inFlightAtKill) {
                        bad.add(line);
                    }
                }
                assertThat(bad).as("5xx or no answer outside the S3 outage").isEmpty();
                assertThat(ok).as("requests answered 200").isGreaterThan(lines.size() / 2);
                assertThat(cdnHits).as("CDN hits").isPositive();

                // The ring healed: fresh images through the balancer reach node 2 again (with 30
                // ids over 3 nodes, none on node 2 has a chance of (2/3)^30, about 5 in a million).
                // A node that failed 3 requests within 10 s is left out for 10 s (cluster.conf's
                // max_fails/fail_timeout), and node 2 may have come up late, with the S3 outage
                // holding back its first read of the journal of deletes: ask again, other widths
                // each round (new variants), for up to 40 s.
                List<String> ids = Files.readAllLines(manifest).stream().map(l -> l.split("\t")[1]).limit(400).toList();
                long share = 0;
                for (int round = 0; round < 8 && share == 0; round++) {
                    if (round > 0) {
                        Thread.sleep(5_000);
                    }
                    long before = nodeRequests(http, base + 22);
                    int asked = 0;
                    for (String id : ids.subList(ids.size() - 30, ids.size())) {
                        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + (base + 1) + "/w_" + (40 + round) + ",f_jpg/" + id))
                                .build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() == 200) {
                            asked++;
                        }
                    }
                    assertThat(asked).isGreaterThanOrEqualTo(25);
                    share = nodeRequests(http, base + 22) - before;
                }
                assertThat(share).as("node 2's share after its restart").isPositive();

                // And what the CDN serves is an image of the asked size.
                HttpResponse<byte[]> jpeg = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + base + "/w_160,f_jpg/" + ids.get(0))).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(jpeg.statusCode()).isEqualTo(200);
                BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg.body()));
                assertThat(decoded.getWidth()).isEqualTo(160);

                // The report runs over what the replay wrote (as bench/fleet.sh does).
                gzip(out.resolve("requests.tsv"));
                Files.writeString(out.resolve("run.txt"), "key=id\n");
                Files.writeString(out.resolve("workload.txt"), made.output);
                Run report = run(env, "python3", "bench/fleet_report.py", "--dir", out.toString(), "--name", "fleet-test",
                        "--outage-grace", Double.toString(OUTAGE_GRACE_S));
                assertThat(report.exit).as(report.output).isZero();
                assertThat(report.output).containsPattern(
                        "fleet: cdn_hit=[0-9.]+ node_hit=[0-9.]+ renders_per_1k=[0-9]+ s3_gets_per_render=[0-9.]+ p99_ms=[0-9]+ errors=[0-9]+");
            } finally {
                Run stop = run(env, "bin/imgorigin", "stack", "stop");
                control.stop(0);
                s3.stop();
                context.close();
                assertThat(stop.exit).as(stop.output).isZero();
            }
        }
    }

    /** S3Proxy on a fixed port, stopped and started again for the outage. */
    private static final class S3Control {
        private final BlobStore blobs;
        private final int port;
        private S3Proxy proxy;

        S3Control(BlobStore blobs, int port) throws Exception {
            this.blobs = blobs;
            this.port = port;
            start();
        }

        synchronized void start() throws Exception {
            if (proxy != null) {
                return;
            }
            S3Proxy p = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "k", "s").build();
            p.start();
            while (!"STARTED".equals(p.getState())) {
                Thread.sleep(10);
            }
            proxy = p;
        }

        synchronized void stop() throws Exception {
            if (proxy != null) {
                proxy.stop();
                proxy = null;
            }
        }
    }

    private static double eventTime(String events, String name) {
        return events.lines().map(l -> l.split("\t")).filter(f -> f.length > 1 && f[1].equals(name))
                .mapToDouble(f -> Double.parseDouble(f[0])).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " event in\n" + events));
    }

    /** Image requests node {@code port}'s origin has answered (its /metrics). */
    private static long nodeRequests(HttpClient http, int port) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return Math.round(metrics.lines().filter(l -> l.startsWith("imgorigin_requests_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum());
    }

    private static void gzip(Path file) throws IOException {
        try (var out = new GZIPOutputStream(Files.newOutputStream(Path.of(file + ".gz")))) {
            Files.copy(file, out);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private record Run(int exit, String output) {
    }

    private Run run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.redirectOutput(dir.resolve("cmd.log").toFile());
        Process process = pb.start();
        if (!process.waitFor(150, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish:\n" + Files.readString(dir.resolve("cmd.log")));
        }
        return new Run(process.exitValue(), Files.readString(dir.resolve("cmd.log")));
    }

    /** A base port whose 30 neighbours are free now (the stack uses base to base+29). */
    private static int freeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            // Below Linux's ephemeral ports (32768 up), which outgoing connections take.
            int base = 10_000 + 30 * java.util.concurrent.ThreadLocalRandom.current().nextInt(700);
            boolean free = true;
            for (int port = base; port < base + 30 && free; port++) {
                try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                    free = s.getLocalPort() == port;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no free range of 30 ports");
    }
}
