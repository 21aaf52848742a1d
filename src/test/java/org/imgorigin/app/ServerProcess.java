package org.imgorigin.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server in a JVM of its own, on the tests' classpath, over {@code <root>/originals} and
 * {@code <root>/cache} on a random port: for what only a separate process shows (its resident
 * memory, a SIGKILL). Closing it stops it gently, then forcibly.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on \\S+ port (\\d+)");

    private final Process process;
    private final int port;
    private final StringBuffer log;

    private ServerProcess(Process process, int port, StringBuffer log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** {@code env} adds or overrides variables, as name/value pairs; returns once it listens. */
    static ServerProcess start(Path root, List<String> jvmFlags, String... env) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.imgorigin.app.Main"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(TestOrigin.env(root, env));
        Process process = builder.start();
        StringBuffer log = new StringBuffer();
        try {
            return new ServerProcess(process, awaitPort(process, log), log);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** What the server has logged so far (standard output and error). */
    String log() {
        return log.toString();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** Reads the log until it names the port; the rest is drained in the background. */
    private static int awaitPort(Process server, StringBuffer kept) throws Exception {
        BufferedReader log = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder seen = new StringBuilder();
        Thread.ofVirtual().start(() -> {
            try {
                for (String line; (line = log.readLine()) != null; ) {
                    if (kept.length() < 4_000_000) {
                        kept.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    } else if (!port.isDone()) {
                        seen.append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            port.completeExceptionally(new AssertionError("the server exited before listening:\n" + seen));
        });
        return port.get(60, TimeUnit.SECONDS);
    }
}
