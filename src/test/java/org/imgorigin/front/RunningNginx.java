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
 * The project's {@code nginx/nginx.conf} (or {@code nginx/cluster.conf}, the balancer), its
 * placeholders replaced, run by a real nginx in the foreground on a free loopback port.
 * Closing it stops nginx and every worker.
 */
final class RunningNginx implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/nginx");
    static final Path CONFIG = Path.of("nginx/nginx.conf");
    /** The balancer in front of several nodes, each behind its own {@link #CONFIG}. */
    static final Path CLUSTER_CONFIG = Path.of("nginx/cluster.conf");
    /** {@link #CLUSTER_CONFIG}'s node placeholders, in the order of its {@code server} lines. */
    static final List<String> CLUSTER_NODES = List.of("node1:80", "node2:80", "node3:80");

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
        int port = freePort();
        return launch(prefix, port, nodeConfig(prefix, port, originPort, cacheDir));
    }

    /**
     * Starts {@code nginx/cluster.conf}, the balancer, with its files under {@code prefix}, in
     * front of one nginx per node ({@code nodePorts}, in the order of its {@code server} lines);
     * returns once it accepts connections.
     */
    static RunningNginx startBalancer(Path prefix, List<Integer> nodePorts) throws Exception {
        return startBalancer(prefix, freePort(), nodePorts);
    }

    /** As {@link #startBalancer(Path, List)}, on {@code port} (chosen before the nodes, which may need to know it). */
    static RunningNginx startBalancer(Path prefix, int port, List<Integer> nodePorts) throws Exception {
        return launch(prefix, port, balancerConfig(prefix, port, nodePorts));
    }

    /** {@code nginx/nginx.conf} with its placeholders replaced, as {@link #start} runs it. */
    static String nodeConfig(Path prefix, int port, int originPort, Path cacheDir) throws IOException {
        Map<String, String> placeholders = new LinkedHashMap<>();
        placeholders.put("listen 80;", "listen 127.0.0.1:" + port + ";");
        placeholders.put("127.0.0.1:8080", "127.0.0.1:" + originPort);
        placeholders.put("/var/cache/imgorigin/", cacheDir.toAbsolutePath() + "/");
        return render(CONFIG, placeholders, prefix);
    }

    /** {@code nginx/cluster.conf} with its placeholders replaced, as {@link #startBalancer} runs it. */
    static String balancerConfig(Path prefix, int port, List<Integer> nodePorts) throws IOException {
        if (nodePorts.size() != CLUSTER_NODES.size()) {
            throw new IllegalArgumentException(CLUSTER_CONFIG + " has " + CLUSTER_NODES.size() + " nodes, not "
                    + nodePorts.size());
        }
        Map<String, String> placeholders = new LinkedHashMap<>();
        placeholders.put("listen 80;", "listen 127.0.0.1:" + port + ";");
        for (int i = 0; i < nodePorts.size(); i++) {
            placeholders.put(CLUSTER_NODES.get(i), "127.0.0.1:" + nodePorts.get(i));
        }
        return render(CLUSTER_CONFIG, placeholders, prefix);
    }

    /** Replaces each placeholder, and the file places every config has, with their values under {@code prefix}. */
    private static String render(Path file, Map<String, String> placeholders, Path prefix) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(placeholders);
        all.put("/var/log/nginx/", prefix.resolve("logs").toAbsolutePath() + "/");
        all.put("/var/lib/nginx/", prefix.resolve("temp").toAbsolutePath() + "/");
        all.put("/run/nginx.pid", prefix.resolve("nginx.pid").toAbsolutePath().toString());
        String config = Files.readString(file);
        for (var p : all.entrySet()) {
            if (!config.contains(p.getKey())) {
                throw new IllegalStateException(file + " no longer has the placeholder '" + p.getKey() + "'");
            }
            config = config.replace(p.getKey(), p.getValue());
        }
        return config;
    }

    /** Writes {@code config} as {@code <prefix>/nginx.conf} with the directories it names. */
    private static Path write(Path prefix, String config) throws IOException {
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("temp"));
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, config);
        return conf;
    }

    /**
     * {@code nginx -t} on {@code config}, written under {@code prefix}: nginx's own check of
     * syntax, directives and the addresses and files it names. Returns its output; throws if
     * the check fails.
     */
    static String check(Path prefix, String config) throws Exception {
        Path conf = write(prefix, config);
        Process process = new ProcessBuilder(List.of(BINARY.toString(), "-t", "-p", prefix.toAbsolutePath() + "/",
                "-c", conf.toAbsolutePath().toString()))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("nginx -t did not finish in 30 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("nginx -t failed for " + conf + ":\n" + output);
        }
        return output;
    }

    private static RunningNginx launch(Path prefix, int port, String config) throws Exception {
        Path conf = write(prefix, config);
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
        return logs(List.of("logs/stdout.log", "logs/error.log"));
    }

    /** The access log (flushed each second: wait a little for the latest lines), for assertion messages. */
    String accessLog() {
        return logs(List.of("logs/imgorigin-access.log", "logs/imgorigin-balancer-access.log"));
    }

    private String logs(List<String> names) {
        StringBuilder out = new StringBuilder();
        for (String name : names) {
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

    static int freePort() throws IOException {
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
