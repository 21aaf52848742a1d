package org.imgorigin.front;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code bin/imgorigin purge} run as a real process, the way an operator runs it. */
final class PurgeCommand {
    static final Path SCRIPT = Path.of("bin/imgorigin");

    /** What the command did: its exit code and what it printed on each stream. */
    record Result(int exit, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    private PurgeCommand() {
    }

    /**
     * Runs {@code bin/imgorigin purge <args>} with {@code env} in place of any IMGORIGIN_ or
     * FASTLY_ variables of the test's own environment, and {@code stdin} on standard input.
     */
    static Result run(Map<String, String> env, String stdin, String... args) throws IOException, InterruptedException {
        if (!Files.isExecutable(SCRIPT)) {
            throw new IllegalStateException(SCRIPT.toAbsolutePath() + " is missing or not executable");
        }
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "purge"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("IMGORIGIN_") || k.startsWith("FASTLY_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process, false));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process, true));
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("bin/imgorigin purge did not finish in 120 s");
        }
        return new Result(process.exitValue(), out.join(), err.join());
    }

    private static String read(Process process, boolean error) {
        try {
            return new String((error ? process.getErrorStream() : process.getInputStream()).readAllBytes(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
