package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A checkout is all one needs: no tracked file reads or cites anything beside the repository
 * (a sibling {@code shared} directory, a contract file that is not in it), and the files the
 * README and {@code docs/} name in backquotes exist.
 */
class RepositoryStandsAloneTest {
    /** Ways out of the repository, spelt in pieces so that this file does not match itself. */
    static final List<String> OUTSIDE = List.of(
            ".." + "/shared",
            "/work/" + "shared",
            "$ROOT" + "/..",
            "SPEC" + ".md");

    /** Where the README's sections, not a separate spec, must be cited ("SPEC section 7" and the like). */
    static final List<String> CITING_THE_README = List.of("README.md", "docs/", "nginx/", "docker/", "bench/", "src/",
            "bin/");

    static List<String> tracked;

    @BeforeAll
    static void listTrackedFiles() throws Exception {
        Process git;
        try {
            git = new ProcessBuilder("git", "ls-files", "-z").redirectErrorStream(false).start();
        } catch (IOException noGit) {
            assumeTrue(false, "git is not installed");
            return;
        }
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0, "not a git checkout");
        tracked = List.of(out.split("\0")).stream().filter(s -> !s.isEmpty()).toList();
        assertThat(tracked).contains("README.md", "bench/lib.sh", "bench/corpus/photos.sh", "nginx/nginx.conf");
    }

    @Test
    void noTrackedFileReachesOutsideTheRepository() throws IOException {
        List<String> found = new ArrayList<>();
        for (String file : tracked) {
            String text = text(file);
            if (text == null) {
                continue;
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                for (String outside : OUTSIDE) {
                    if (lines[i].contains(outside)) {
                        found.add(file + ":" + (i + 1) + ": " + lines[i].strip());
                        break;
                    }
                }
            }
        }
        assertThat(found).as("references to files outside the repository").isEmpty();
    }

    @Test
    void theDeploymentFilesAndDocsCiteTheReadmeNotASpec() throws IOException {
        Pattern spec = Pattern.compile("\\bSPEC\\b");
        List<String> found = new ArrayList<>();
        for (String file : tracked) {
            if (CITING_THE_README.stream().noneMatch(file::startsWith) || file.endsWith("RepositoryStandsAloneTest.java")) {
                continue;
            }
            String text = text(file);
            if (text == null) {
                continue;
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (spec.matcher(lines[i]).find()) {
                    found.add(file + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertThat(found).isEmpty();
    }

    @Test
    void theFilesTheReadmeAndDocsNameExist() throws IOException {
        Pattern named = Pattern.compile("`((?:bench|bin|docker|docs|nginx|src|\\.ci)/[^`\\s<>*]+)`");
        Set<String> missing = new TreeSet<>();
        for (String doc : tracked) {
            if (!doc.equals("README.md") && !(doc.startsWith("docs/") && doc.endsWith(".md"))) {
                continue;
            }
            Matcher m = named.matcher(Files.readString(Path.of(doc)));
            while (m.find()) {
                String path = m.group(1);
                String directory = path.endsWith("/") ? path : path + "/";
                if (!tracked.contains(path) && tracked.stream().noneMatch(f -> f.startsWith(directory))) {
                    missing.add(doc + " names " + path);
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void theCorpusScriptIsTheOneTheBenchmarksRun() throws IOException {
        Path script = Path.of("bench/corpus/photos.sh");
        assertThat(Files.isExecutable(script)).as(script + " is executable").isTrue();
        assertThat(Files.readString(Path.of("bench/lib.sh"))).contains("CORPUS=$ROOT/bench/corpus/photos.sh\n");
    }

    /** The file's text, or null for a binary file (not UTF-8, or with NUL bytes). */
    private static String text(String file) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of(file));
        for (byte b : bytes) {
            if (b == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException binary) {
            return null;
        }
    }
}
