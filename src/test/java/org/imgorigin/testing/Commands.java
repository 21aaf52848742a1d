package org.imgorigin.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Outside programs the tests use when the machine has them (npm, node, apt-get, dpkg-deb). */
public final class Commands {
    private Commands() {
    }

    /**
     * Runs a command in {@code dir}, its output (stdout and stderr) kept in {@code dir/.out};
     * the output, or empty when it cannot start, fails or overruns {@code seconds}.
     */
    public static Optional<String> run(List<String> command, Path dir, int seconds) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(".out").toFile()).start();
        } catch (IOException notInstalled) {
            return Optional.empty();
        }
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return Optional.empty();
        }
        String output = Files.readString(dir.resolve(".out"), StandardCharsets.UTF_8);
        return process.exitValue() == 0 ? Optional.of(output) : Optional.empty();
    }
}
