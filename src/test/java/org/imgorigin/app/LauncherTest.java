package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The jar's Main-Class loads on an old JVM and says in one line that Java 25 is needed. */
class LauncherTest {
    @Test
    void launcherIsCompiledForJava8AndMainFor25() throws Exception {
        assertThat(majorVersion(Launcher.class)).isEqualTo(52);
        assertThat(majorVersion(Main.class)).isEqualTo(69);
    }

    @Test
    void olderJavasAreNamedAndNewerOnesPass() {
        assertThat(Launcher.problem("1.8", "/old")).startsWith("imgorigin: needs Java 25 or newer, but this is Java 8 (/old)");
        assertThat(Launcher.problem("17", "/jdk17")).contains("Java 17").contains("bin/imgorigin serve")
                .doesNotContain("\n");
        assertThat(Launcher.problem("24", "/x")).contains("Java 24");
        assertThat(Launcher.problem("25", "/x")).isNull();
        assertThat(Launcher.problem("26", "/x")).isNull();
        assertThat(Launcher.problem("weird", "/x")).isNull();
    }

    /** On this JVM (25) the launcher hands over to Main: its {@code sign} answers. */
    @Test
    void onJava25ItRunsMain() throws Exception {
        Process p = java(Path.of(System.getProperty("java.home"), "bin", "java"), "sign", "/w_300/abc.webp");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out.strip()).isEqualTo(org.imgorigin.url.Signer.of("0123456789abcdef").sign("/w_300/abc.webp"));
    }

    /** With a Java 17 installed (Debian 12's default), the real thing: one line, exit 1. */
    @Test
    void onJava17ItSaysJava25IsNeeded() throws Exception {
        Path jvms = Path.of("/usr/lib/jvm");
        Assumptions.assumeTrue(Files.isDirectory(jvms), "no /usr/lib/jvm");
        Path java17;
        try (Stream<Path> dirs = Files.list(jvms)) {
            java17 = dirs.filter(d -> d.getFileName().toString().contains("17"))
                    .map(d -> d.resolve("bin/java")).filter(Files::isExecutable).findFirst().orElse(null);
        }
        Assumptions.assumeTrue(java17 != null, "no Java 17 in /usr/lib/jvm");
        Process p = java(java17);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err.lines().toList()).hasSize(1);
        assertThat(err).startsWith("imgorigin: needs Java 25 or newer, but this is Java 17")
                .doesNotContain("UnsupportedClassVersionError");
    }

    private static Process java(Path java, String... args) throws Exception {
        String classes = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-cp", classes,
                Launcher.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("IMGORIGIN_SIGNING_KEY", "0123456789abcdef");
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static int majorVersion(Class<?> type) throws Exception {
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class");
                DataInputStream data = new DataInputStream(in)) {
            assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
            data.readUnsignedShort();
            return data.readUnsignedShort();
        }
    }
}
