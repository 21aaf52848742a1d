package org.imgorigin.front;

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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real {@code varnishd} in the foreground on a free loopback port, running the repository's
 * {@code docker/varnish/default.vcl} with its backend pointed at a test's origin. Closing it
 * stops the manager and its child, so no varnishd outlives the test.
 */
final class RunningVarnish implements AutoCloseable {
    static final Path VARNISHD = Path.of("/usr/sbin/varnishd");
    static final Path VCL = Path.of("docker/varnish/default.vcl");
    /** The backend's port line (the header comment mentions it too, but not at a line's start). */
    private static final Pattern PORT_PLACEHOLDER = Pattern.compile("(?m)^(\\s+)\\.port = \"8080\";$");

    private final Process process;
    private final Path log;
    private final int port;
    private final Thread reaper;

    private RunningVarnish(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
        // A JVM that dies before @AfterAll still takes its varnishd along.
        this.reaper = new Thread(this::stop);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** True when varnishd and the xkey vmod (Debian's varnish-modules) are installed. */
    static boolean installed() {
        return Files.isExecutable(VARNISHD) && xkeyVmod().isPresent();
    }

    private static Optional<Path> xkeyVmod() {
        Path plain = Path.of("/usr/lib/varnish/vmods/libvmod_xkey.so");
        if (Files.isRegularFile(plain)) {
            return Optional.of(plain);
        }
        try (Stream<Path> arches = Files.list(Path.of("/usr/lib"))) {
            return arches.map(dir -> dir.resolve("varnish/vmods/libvmod_xkey.so")).filter(Files::isRegularFile)
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Starts varnishd with the repository's VCL, its backend at 127.0.0.1:{@code originPort}. */
    static RunningVarnish start(Path workDir, int originPort) throws Exception {
        String vcl = Files.readString(VCL);
        if (PORT_PLACEHOLDER.matcher(vcl).results().count() != 1) {
            throw new IllegalStateException(VCL + " must have exactly one backend line .port = \"8080\";");
        }
        Files.createDirectories(workDir);
        Path file = workDir.resolve("test.vcl");
        Files.writeString(file, PORT_PLACEHOLDER.matcher(vcl).replaceFirst("$1.port = \"" + originPort + "\";"));
        IllegalStateException failure = new IllegalStateException("varnishd did not start");
        // The free port is found by binding and releasing it: another process may take it first.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path log = workDir.resolve("varnishd-" + attempt + ".log");
            Process process = new ProcessBuilder(List.of(VARNISHD.toString(), "-F",
                    "-j", "none", // no privilege separation: tests run as whoever runs Maven, often root
                    "-a", "127.0.0.1:" + port, "-T", "none",
                    "-f", file.toString(), "-n", workDir.resolve("instance-" + attempt).toString(),
                    "-s", "malloc,64m"))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            RunningVarnish daemon = new RunningVarnish(process, log, port);
            try {
                daemon.awaitReady();
                return daemon;
            } catch (Exception e) {
                failure.addSuppressed(e);
                daemon.close();
            }
        }
        throw failure;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("varnishd exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(url("/healthz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("varnishd did not answer /healthz within 30 s:\n" + output());
    }

    int port() {
        return port;
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** What varnishd printed, for failure messages. */
    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private void stop() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran) anyway.
        }
    }
}
