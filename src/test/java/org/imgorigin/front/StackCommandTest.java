package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/imgorigin stack}, as an operator runs it: Varnish, the balancer and two nodes,
 * each an origin behind its own nginx, from the shipped configs, on loopback. An upload to
 * one node is served through Varnish (a miss, then a Varnish hit), {@code purge} with the
 * addresses the command prints reaches every tier, {@code status} has a line per process,
 * and {@code stop} leaves nothing running.
 */
class StackCommandTest {
    @TempDir
    Path dir;

    @Test
    void startsTheTopologyServesThroughItAndStopsClean() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/varnishd")) && Files.isExecutable(Path.of("/usr/sbin/nginx")),
                "nginx and varnishd are needed");
        int base = freeBase();
        String stackDir = dir.resolve("stack").toString();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            Run start = run(base, stackDir, "stack", "start", "2");
            try {
                assertThat(start.exit).as(start.output).isZero();
                assertThat(start.output).contains("varnish", "balancer", "node1 origin", "node2 nginx");
                byte[] photo = Files.readAllBytes(Path.of("src/test/resources/images/photo.jpg"));
                HttpResponse<String> upload = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + (base + 21) + "/images"))
                        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(photo)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(upload.statusCode()).isIn(200, 201);
                String id = new JsonObject(upload.body()).getString("id");
                URI variant = URI.create("http://127.0.0.1:" + base + "/w_300/" + id + ".webp");
                HttpResponse<byte[]> first = http.send(HttpRequest.newBuilder(variant).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(first.statusCode()).isEqualTo(200);
                assertThat(first.headers().firstValue("X-Varnish-Cache")).contains("MISS");
                HttpResponse<byte[]> second = http.send(HttpRequest.newBuilder(variant).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(second.headers().firstValue("X-Varnish-Cache")).contains("HIT");
                assertThat(second.body()).isEqualTo(first.body());

                Run status = run(base, stackDir, "stack", "status");
                assertThat(status.output.lines().filter(l -> l.endsWith(" up")).count()).as(status.output).isEqualTo(6);

                // A second start, or a bad one, is refused and leaves the running stack alone.
                for (String nodes : List.of("2", "12")) {
                    Run again = run(base, stackDir, "stack", "start", nodes);
                    assertThat(again.exit).as(again.output).isNotZero();
                    assertThat(again.output).doesNotContain("stack stopped");
                }
                Run still = run(base, stackDir, "stack", "status");
                assertThat(still.output.lines().filter(l -> l.endsWith(" up")).count()).as(still.output).isEqualTo(6);

                // Purge with the addresses `stack start` printed: every node and Varnish.
                String nodes = "http://127.0.0.1:" + (base + 21) + ",http://127.0.0.1:" + (base + 22);
                assertThat(start.output).contains("IMGORIGIN_NODES=" + nodes);
                Run purge = run(base, stackDir, List.of("IMGORIGIN_NODES", nodes, "IMGORIGIN_CDN", "varnish", "IMGORIGIN_VARNISH_URL",
                        "http://127.0.0.1:" + base), "purge", id);
                assertThat(purge.exit).as(purge.output).isZero();
                HttpResponse<byte[]> after = http.send(HttpRequest.newBuilder(variant).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(after.headers().firstValue("X-Varnish-Cache")).as("purged at Varnish").contains("MISS");
                assertThat(after.headers().firstValue("X-Cache")).as("and at the node").contains("MISS");
            } finally {
                Run stop = run(base, stackDir, "stack", "stop");
                assertThat(stop.exit).as(stop.output).isZero();
            }
            assertThat(run(base, stackDir, "stack", "status").output).contains("not started");
            for (int port : List.of(base, base + 1, base + 11, base + 12, base + 21, base + 22)) {
                try (ServerSocket free = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                    assertThat(free.getLocalPort()).as("port %d free again", port).isEqualTo(port);
                }
            }
        }
    }

    private record Run(int exit, String output) {
    }

    private Run run(int base, String stackDir, String... args) throws Exception {
        return run(base, stackDir, List.of(), args);
    }

    private Run run(int base, String stackDir, List<String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bin/imgorigin"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("IMGORIGIN_STACK_PORT", Integer.toString(base));
        pb.environment().put("IMGORIGIN_STACK_DIR", stackDir);
        pb.environment().put("IMGORIGIN_STACK_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("IMGORIGIN_JAVA_OPTS", "-Xmx256m");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        for (int i = 0; i < env.size(); i += 2) {
            pb.environment().put(env.get(i), env.get(i + 1));
        }
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("bin/imgorigin " + String.join(" ", args) + " did not finish:\n" + output);
        }
        return new Run(process.exitValue(), output);
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
