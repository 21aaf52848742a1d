package org.imgorigin.front;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The project's {@code nginx/nginx.conf}, its placeholders replaced, run by a real nginx in
 * the foreground on a free loopback port. Closing it stops nginx and every worker.
 */
final class RunningNginx implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/nginx");
    static final Path CONFIG = Path.of("nginx/nginx.conf");

    private final Process process;
    private final Path prefix;
    private final int port;

    private RunningNginx(Process process, Path prefix, int port) {
        this.process = process;
        this.prefix = prefix;
        this.port = port;
    }

    /**
     * Starts nginx with its files under {@code prefix}, in front of the origin on
     * {@code originPort}, serving X-Accel hits from {@code cacheDir}; returns once it accepts
     * connections.
     */
    static RunningNginx start(Path prefix, int originPort, Path cacheDir) throws Exception {
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("temp"));
        int port = freePort();
        String config = Files.readString(CONFIG);
        Map<String, String> placeholders = new LinkedHashMap<>();
        placeholders.put("listen 80;", "listen 127.0.0.1:" + port + ";");
        placeholders.put("127.0.0.1:8080", "127.0.0.1:" + originPort);
        placeholders.put("/var/cache/imgorigin/", cacheDir.toAbsolutePath() + "/");
        placeholders.put("/var/log/nginx/", prefix.resolve("logs").toAbsolutePath() + "/");
        placeholders.put("/var/lib/nginx/", prefix.resolve("temp").toAbsolutePath() + "/");
        placeholders.put("/run/nginx.pid", prefix.resolve("nginx.pid").toAbsolutePath().toString());
        for (var p : placeholders.entrySet()) {
            if (!config.contains(p.getKey())) {
                throw new IllegalStateException(CONFIG + " no longer has the placeholder '" + p.getKey() + "'");
            }
            config = config.replace(p.getKey(), p.getValue());
        }
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, config);
        Process process = new ProcessBuilder(List.of(BINARY.toString(), "-p", prefix.toAbsolutePath() + "/",
                "-c", conf.toAbsolutePath().toString(), "-g", "daemon off;"))
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
                .start();
        RunningNginx nginx = new RunningNginx(process, prefix, port);
        try {
            nginx.awaitListening();
        } catch (Exception | Error e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    int port() {
        return port;
    }

    /** The error log and nginx's own output, for assertion messages. */
    String log() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("logs/stdout.log", "logs/error.log")) {
            Path file = prefix.resolve(name);
            try {
                if (Files.exists(file)) {
                    out.append("--- ").append(name).append('\n')
                            .append(Files.readString(file, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                out.append("(cannot read ").append(name).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    private void awaitListening() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("nginx exited with " + process.exitValue() + "\n" + log());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("nginx is not listening on " + port + " after 15 s\n" + log());
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    /** SIGTERM (nginx's fast shutdown) and a wait; then SIGKILL for the master and any worker left. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle worker : workers) {
            if (worker.isAlive()) {
                worker.destroyForcibly();
                worker.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> worker).join();
            }
        }
    }
}
