package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imgorigin.app.Server;
import org.imgorigin.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/imgorigin upload} and {@code warm} as an operator runs them, against a real server;
 * {@code sign}, in bash, against {@link org.imgorigin.url.Signer}.
 */
class ClientCommandsTest {
    @TempDir
    Path root;

    record Run(int exit, String out, String err) {
    }

    private Run run(Server server, String token, List<String> args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(args).directory(root.toFile());
        pb.environment().put("IMGORIGIN_URL", "http://127.0.0.1:" + server.port());
        if (token != null) {
            pb.environment().put("IMGORIGIN_UPLOAD_TOKEN", token);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    private static byte[] fixture(String name) throws Exception {
        try (InputStream in = ClientCommandsTest.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void uploadPrintsIdsAndWarmFillsTheCache() throws Exception {
        String script = Path.of("bin/imgorigin").toAbsolutePath().toString();
        Files.write(root.resolve("photo.jpg"), fixture("photo.jpg"));
        Files.write(root.resolve("alpha.png"), fixture("alpha.png"));
        Files.writeString(root.resolve("notes.txt"), "not an image");
        String photo = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(fixture("photo.jpg")))
                .substring(0, 40);
        try (Server server = Server.start(Config.fromEnv(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_UPLOAD_TOKEN", "tok-123", "IMGORIGIN_ACCESS_LOG", "false")))) {
            Run upload = run(server, "tok-123", List.of(script, "upload", "photo.jpg", "alpha.png"));
            assertThat(upload.exit()).as(upload.err()).isZero();
            assertThat(upload.out()).startsWith(photo + "\tphoto.jpg\n");
            assertThat(upload.out().lines()).hasSize(2);
            assertThat(upload.err()).contains("2 new, 0 already stored, 0 failed");

            Run again = run(server, "tok-123", List.of(script, "upload", "photo.jpg", "notes.txt"));
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("415").contains("0 new, 1 already stored, 1 failed");

            Run noToken = run(server, null, List.of(script, "upload", "photo.jpg"));
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("401");

            Files.writeString(root.resolve("urls.txt"), "/w_120/" + photo + ".webp\n# a comment\n\nc_fill,w_64,h_64/"
                    + photo + ".avif\n");
            Run warm = run(server, null, List.of(script, "warm", "urls.txt"));
            assertThat(warm.exit()).as(warm.err()).isZero();
            assertThat(warm.err()).contains("2 URLs: 2 ready (2 rendered now, 0 already cached), 0 failed");
            // An nginx access log and imgorigin's JSON log replay the same URLs: all hits now.
            Files.writeString(root.resolve("access.log"),
                    "127.0.0.1 [2026-11-23T10:00:00+00:00] \"GET /w_120/" + photo + ".webp HTTP/1.1\" 200 512\n"
                    + "{\"id\":\"" + photo + "\",\"variant\":\"c_fill,h_64,w_64.avif\",\"status\":200}\n"
                    + "127.0.0.1 [2026-11-23T10:00:01+00:00] \"GET /w_120/" + photo + ".webp HTTP/1.1\" 200 512\n"
                    + "/w_64/0000000000000000000000000000000000000000.webp\n");
            Run replay = run(server, null, List.of(script, "warm", "access.log"));
            assertThat(replay.exit()).isEqualTo(1);
            assertThat(replay.err()).contains("3 URLs: 2 ready (0 rendered now, 2 already cached), 1 failed")
                    .contains("HTTP 404");
            Path variants = root.resolve("cache").resolve(photo.substring(0, 4)).resolve(photo.substring(4, 6))
                    .resolve(photo);
            assertThat(variants.resolve("w_120.webp")).exists();
            assertThat(variants.resolve("c_fill,h_64,w_64.avif")).exists();
        }
    }

    /**
     * {@code bin/imgorigin sign} is bash and coreutils: the same signatures as Signer, with
     * no JDK or Maven on the PATH (stand-ins that fail are put first) and no jar built.
     */
    @Test
    void signInBashMatchesTheSigner() throws Exception {
        String script = Path.of("bin/imgorigin").toAbsolutePath().toString();
        Path fakes = Files.createDirectories(root.resolve("fake-bin"));
        for (String tool : new String[] {"java", "mvn", "openssl"}) {
            Path fake = fakes.resolve(tool);
            Files.writeString(fake, "#!/bin/sh\necho \"$0 must not run\" >&2\nexit 99\n");
            fake.toFile().setExecutable(true);
        }
        String id = "3972b16287e595a88a50624587bccc66ece0f4c7";
        List<String> paths = List.of("/w_300/" + id + ".webp", "w_400,h_400,c_fill,g_auto/" + id + ".jpg",
                "/t_thumb/" + id, "/w_auto:400,dpr_auto,f_auto,q_auto/" + id, "/" + id + ".png",
                "/demo/image/upload/c_fill,w_400,h_400/f_auto/v12/" + id + ".jpg", "image/upload/b_black/" + id);
        List<String> keys = List.of("0123456789abcdef", " rotated-new-key-2026 , old-key-0123456789 ",
                "k".repeat(64), "a-key-longer-than-the-hmac-block-" + "x".repeat(80), "clé-de-signature-été");
        for (String key : keys) {
            ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of(script, "sign")))
                    .directory(root.toFile());
            pb.command().addAll(paths);
            pb.environment().put("IMGORIGIN_SIGNING_KEY", key);
            pb.environment().put("PATH", fakes + ":" + pb.environment().get("PATH"));
            pb.environment().remove("JAVA_HOME");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(err).isZero();
            org.imgorigin.url.Signer signer = org.imgorigin.url.Signer.of(key);
            assertThat(out.lines().toList()).as("key '%s'", key)
                    .containsExactlyElementsOf(paths.stream().map(signer::sign).toList());
        }

        ProcessBuilder bad = new ProcessBuilder(script, "sign", "/w_1/" + id).directory(root.toFile());
        bad.environment().put("IMGORIGIN_SIGNING_KEY", "good-key-0123456789,short");
        Process p = bad.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(err).contains("IMGORIGIN_SIGNING_KEY").contains("at least 16 characters");
    }
}
