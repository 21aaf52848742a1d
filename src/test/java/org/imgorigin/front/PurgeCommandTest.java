package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/imgorigin purge} against a recording HTTP server that plays the origin nodes,
 * Varnish and Fastly's API: which requests go where, with which headers, and what the command
 * reports, and a real Varnish (when installed) in front of the recording server. What a run
 * reaches is stated before it starts, and "everywhere" is said only when every node and every
 * CDN answered for every id. {@code VarnishTest} runs it against the real origin and a real Varnish.
 */
class PurgeCommandTest {
    private static final String A = "3972b16287e595a88a50624587bccc66ece0f4c7";
    private static final String B = "0123456789abcdef";

    /** One request as the fake saw it. */
    record Seen(String method, String path, Map<String, String> headers) {
    }

    @TempDir
    Path tmp;

    private HttpServer fake;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Status to answer per path prefix; 200 otherwise. */
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        fake = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        fake.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            Map<String, String> headers = exchange.getRequestHeaders().entrySet().stream()
                    .collect(Collectors.toMap(e -> e.getKey().toLowerCase(), e -> String.join(",", e.getValue())));
            seen.add(new Seen(exchange.getRequestMethod(), path, headers));
            exchange.getRequestBody().readAllBytes();
            int status = statuses.entrySet().stream().filter(e -> path.startsWith(e.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(200);
            byte[] body = status == 200 ? "{\"purged\": 1}".getBytes() : "{\"error\": \"nope\"}".getBytes();
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        fake.start();
    }

    @AfterEach
    void stop() {
        fake.stop(0);
    }

    private String base(String prefix) {
        return "http://127.0.0.1:" + fake.getAddress().getPort() + prefix;
    }

    @Test
    void purgesEachIdOnEveryNodeThenVarnishThenFastly() throws Exception {
        PurgeCommand.Result result = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", base("/n1") + ", " + base("/n2/"),
                "IMGORIGIN_ADMIN_TOKEN", "s3cret \"token\"",
                "IMGORIGIN_VARNISH_URL", base("/varnish"),
                "FASTLY_SERVICE_ID", "SVC123",
                "FASTLY_API_TOKEN", "fastly-key",
                "FASTLY_API_URL", base("/fastly")), "", A, B);

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.stdout()).isEqualTo("purged " + A + "\npurged " + B + "\n");
        assertThat(seen).extracting(s -> s.method() + " " + s.path()).containsExactly(
                "POST /n1/admin/purge/" + A, "POST /n2/admin/purge/" + A, "PURGE /varnish/",
                "POST /fastly/service/SVC123/purge/" + A,
                "POST /n1/admin/purge/" + B, "POST /n2/admin/purge/" + B, "PURGE /varnish/",
                "POST /fastly/service/SVC123/purge/" + B);
        assertThat(seen.get(0).headers()).containsEntry("authorization", "Bearer s3cret \"token\"");
        assertThat(seen.get(2).headers()).containsEntry("xkey-purge", A).doesNotContainKey("authorization");
        assertThat(seen.get(3).headers()).containsEntry("fastly-key", "fastly-key").doesNotContainKey("authorization");
        assertThat(result.stderr()).contains("purge: 2 ids: 2 purged everywhere, 0 failed, 0 invalid")
                .contains("node " + base("/n2") + " (from IMGORIGIN_NODES)")
                .contains("varnish " + base("/varnish") + " (from IMGORIGIN_VARNISH_URL)")
                .contains("fastly SVC123 (from FASTLY_SERVICE_ID)")
                .doesNotContain("not reached")
                .contains("node " + base("/n2") + ": 2 ok, 0 failed")
                .contains("varnish " + base("/varnish") + ": 2 ok, 0 failed")
                .contains("fastly SVC123: 2 ok, 0 failed");
    }

    @Test
    void readsIdsFromStandardInputWhenNoneAreGivenOrForADash() throws Exception {
        Map<String, String> env = Map.of("IMGORIGIN_NODES", base(""));
        PurgeCommand.Result none = PurgeCommand.run(env, "  " + A + "  \r\n\n# a comment\n" + B);
        assertThat(none.exit()).as(none.output()).isZero();
        assertThat(none.stdout()).isEqualTo("purged " + A + "\npurged " + B + "\n");
        assertThat(seen.getFirst().headers()).doesNotContainKey("authorization");

        seen.clear();
        PurgeCommand.Result dash = PurgeCommand.run(env, B + "\n", A, "-");
        assertThat(dash.exit()).as(dash.output()).isZero();
        assertThat(seen).extracting(Seen::path).containsExactly("/admin/purge/" + A, "/admin/purge/" + B);
    }

    @Test
    void aRefusedPurgeFailsTheRunButTheOtherTargetsAreStillPurged() throws Exception {
        statuses.put("/n2/", 403);
        PurgeCommand.Result result = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", base("/n1") + "," + base("/n2"),
                "IMGORIGIN_VARNISH_URL", base("/varnish")), "", A);

        assertThat(result.exit()).isNotZero();
        assertThat(result.stdout()).isEqualTo("failed " + A + "\n");
        assertThat(seen).extracting(Seen::path)
                .containsExactly("/n1/admin/purge/" + A, "/n2/admin/purge/" + A, "/varnish/");
        assertThat(result.stderr()).contains("purge of " + A + " at node " + base("/n2") + " failed: HTTP 403")
                .contains("node " + base("/n2") + ": 0 ok, 1 failed")
                .contains("varnish " + base("/varnish") + ": 1 ok, 0 failed")
                .contains("failed: " + A);
    }

    @Test
    void malformedIdsAreReportedAndNeverSent() throws Exception {
        PurgeCommand.Result result = PurgeCommand.run(Map.of("IMGORIGIN_NODES", base("")), "",
                "ABCDEF0123456789", "0123", "../etc/passwd", A);
        assertThat(result.exit()).isNotZero();
        assertThat(result.stdout()).contains("invalid ABCDEF0123456789", "invalid 0123", "invalid ../etc/passwd",
                "purged " + A);
        assertThat(seen).extracting(Seen::path).containsExactly("/admin/purge/" + A);
        assertThat(result.stderr()).contains("4 ids: 1 purged on nodes only (no CDN configured), 0 failed, 3 invalid");
    }

    @Test
    void longListsShowProgress() throws Exception {
        String ids = IntStream.range(0, 205).mapToObj(i -> "%016x".formatted(i)).collect(Collectors.joining("\n"));
        PurgeCommand.Result result = PurgeCommand.run(Map.of("IMGORIGIN_NODES", base("")), ids);
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(seen).hasSize(205);
        assertThat(result.stderr()).contains("purge: 100 ids so far, 0 failed", "purge: 200 ids so far, 0 failed",
                "purge: 205 ids: 205 purged on nodes only (no CDN configured)");
    }

    @Test
    void nodesDefaultToImgoriginUrlWhenImgoriginNodesIsUnset() throws Exception {
        PurgeCommand.Result result = PurgeCommand.run(Map.of(
                "IMGORIGIN_URL", base("/n1/"), "IMGORIGIN_CDN", "none"), "", A);
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(seen).extracting(s -> s.method() + " " + s.path()).containsExactly("POST /n1/admin/purge/" + A);
        assertThat(result.stderr()).contains("node " + base("/n1") + " (from IMGORIGIN_URL; IMGORIGIN_NODES is not set)")
                .contains("CDN: none (IMGORIGIN_CDN=none)")
                .contains("1 ids: 1 purged everywhere, 0 failed, 0 invalid");

        // IMGORIGIN_NODES, when set, is the list: IMGORIGIN_URL is one node of many, or another.
        seen.clear();
        PurgeCommand.Result both = PurgeCommand.run(Map.of("IMGORIGIN_URL", base("/n1"),
                "IMGORIGIN_NODES", base("/n2") + "," + base("/n3"), "IMGORIGIN_CDN", "none"), "", A);
        assertThat(both.exit()).as(both.output()).isZero();
        assertThat(seen).extracting(Seen::path).containsExactly("/n2/admin/purge/" + A, "/n3/admin/purge/" + A);
    }

    @Test
    void aDeclaredCdnWithoutItsVariablesOrAnUndeclaredOneIsAnErrorBeforeAnythingIsPurged() throws Exception {
        String nodes = base("/n1");
        Map<Map<String, String>, String> cases = Map.of(
                Map.of("IMGORIGIN_CDN", "varnish"), "IMGORIGIN_VARNISH_URL is not set",
                Map.of("IMGORIGIN_CDN", "varnish", "IMGORIGIN_VARNISH_URL", " , "), "IMGORIGIN_VARNISH_URL is not set",
                Map.of("IMGORIGIN_CDN", "varnish,fastly", "IMGORIGIN_VARNISH_URL", base("/varnish")),
                "FASTLY_SERVICE_ID and FASTLY_API_TOKEN are not set",
                Map.of("IMGORIGIN_CDN", "fastly", "FASTLY_SERVICE_ID", "SVC123"), "FASTLY_API_TOKEN is not set",
                Map.of("IMGORIGIN_CDN", "none", "IMGORIGIN_VARNISH_URL", base("/varnish")),
                "IMGORIGIN_VARNISH_URL is set, but IMGORIGIN_CDN=none does not name varnish",
                Map.of("IMGORIGIN_CDN", "varnish", "IMGORIGIN_VARNISH_URL", base("/varnish"),
                        "FASTLY_SERVICE_ID", "SVC123", "FASTLY_API_TOKEN", "key"),
                "FASTLY_SERVICE_ID is set, but IMGORIGIN_CDN=varnish does not name fastly",
                Map.of("IMGORIGIN_CDN", "akamai"), "IMGORIGIN_CDN must be varnish, fastly, varnish,fastly or none",
                Map.of("IMGORIGIN_CDN", "none,varnish", "IMGORIGIN_VARNISH_URL", base("/varnish")),
                "IMGORIGIN_CDN=none cannot name a CDN as well");
        for (var c : cases.entrySet()) {
            Map<String, String> env = new HashMap<>(c.getKey());
            env.put("IMGORIGIN_NODES", nodes);
            PurgeCommand.Result result = PurgeCommand.run(env, "", A);
            assertThat(result.exit()).as(env + ": " + result.output()).isEqualTo(2);
            assertThat(result.stdout()).as(env.toString()).isEmpty();
            assertThat(result.stderr()).as(env.toString()).contains(c.getValue()).contains("nothing was purged")
                    .hasLineCount(1);
            assertThat(seen).as(env.toString()).isEmpty();
        }
    }

    @Test
    void nodesOnlyIsSaidBeforeAndAfterAndNeverCalledEverywhere() throws Exception {
        PurgeCommand.Result result = PurgeCommand.run(Map.of("IMGORIGIN_NODES", base("/n1")), "", A);
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.stdout()).isEqualTo("purged " + A + "\n");
        assertThat(result.stderr()).doesNotContain("everywhere")
                .contains("1 ids: 1 purged on nodes only (no CDN configured), 0 failed, 0 invalid");
        assertThat(result.stderr().indexOf("CDN: none configured"))
                .as("the missing CDN is stated before the purge").isNotNegative()
                .isLessThan(result.stderr().indexOf("purge: 1 ids"));
        assertThat(result.stderr()).contains("set IMGORIGIN_CDN");
    }

    @Test
    void aVarnishThatRefusesIsNamedAndTheRunIsNotEverywhere() throws Exception {
        // The VCL's answer to a host outside its purgers ACL.
        statuses.put("/varnish2/", 403);
        PurgeCommand.Result result = PurgeCommand.run(Map.of(
                "IMGORIGIN_NODES", base("/n1"), "IMGORIGIN_CDN", "varnish",
                "IMGORIGIN_VARNISH_URL", base("/varnish1") + "," + base("/varnish2")), "", A, B);

        assertThat(result.exit()).as(result.output()).isEqualTo(1);
        assertThat(result.stdout()).isEqualTo("failed " + A + "\nfailed " + B + "\n");
        assertThat(seen).extracting(Seen::path).containsExactly("/n1/admin/purge/" + A, "/varnish1/", "/varnish2/",
                "/n1/admin/purge/" + B, "/varnish1/", "/varnish2/");
        assertThat(result.stderr()).doesNotContain("everywhere")
                .contains("2 ids: 0 purged at every target, 2 failed, 0 invalid")
                .contains("not reached: varnish " + base("/varnish2") + " for 2 of 2 ids")
                .doesNotContain("not reached: varnish " + base("/varnish1"))
                .doesNotContain("not reached: node");
    }

    @Test
    void aRealVarnishThatAnswersIsEverywhereAndOneThatIsDownIsNot() throws Exception {
        assumeTrue(RunningVarnish.installed(), "varnishd or the xkey vmod (varnish-modules) is not installed");
        Map<String, String> env;
        try (RunningVarnish varnish = RunningVarnish.start(tmp.resolve("varnish"), fake.getAddress().getPort())) {
            env = Map.of("IMGORIGIN_NODES", base("/n1"), "IMGORIGIN_CDN", "varnish",
                    "IMGORIGIN_VARNISH_URL", "http://127.0.0.1:" + varnish.port());
            seen.clear();
            PurgeCommand.Result up = PurgeCommand.run(env, "", A);
            assertThat(up.exit()).as(up.output()).isZero();
            assertThat(up.stdout()).isEqualTo("purged " + A + "\n");
            assertThat(up.stderr()).contains("1 ids: 1 purged everywhere, 0 failed, 0 invalid")
                    .contains("varnish http://127.0.0.1:" + varnish.port() + ": 1 ok, 0 failed");
        }

        seen.clear();
        PurgeCommand.Result down = PurgeCommand.run(env, "", A);
        assertThat(down.exit()).as(down.output()).isEqualTo(1);
        assertThat(down.stdout()).isEqualTo("failed " + A + "\n");
        assertThat(seen).extracting(Seen::path).containsExactly("/n1/admin/purge/" + A);
        assertThat(down.stderr()).doesNotContain("everywhere")
                .contains("not reached: " + "varnish " + env.get("IMGORIGIN_VARNISH_URL") + " for 1 of 1 ids");
    }

    @Test
    void aVarnishUrlThatNothingListensOnFailsTheRun() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        PurgeCommand.Result result = PurgeCommand.run(Map.of("IMGORIGIN_NODES", base("/n1"),
                "IMGORIGIN_VARNISH_URL", "http://127.0.0.1:" + closed), "", A);
        assertThat(result.exit()).as(result.output()).isEqualTo(1);
        assertThat(result.stderr()).doesNotContain("everywhere")
                .contains("not reached: varnish http://127.0.0.1:" + closed + " for 1 of 1 ids");
    }

    @Test
    void fastlyNeedsBothItsVariables() throws Exception {
        PurgeCommand.Result result = PurgeCommand.run(Map.of("IMGORIGIN_NODES", base(""),
                "FASTLY_SERVICE_ID", "SVC123"), "", A);
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.stderr()).contains("FASTLY_API_TOKEN");
        assertThat(seen).isEmpty();
    }

    @Test
    void readmeAndHelpNameEveryVariablePurgeReads() throws Exception {
        String script = Files.readString(PurgeCommand.SCRIPT);
        String purgeSection = script.substring(script.indexOf("# --- purge"), script.indexOf("# --- upload and warm"));
        Set<String> read = Pattern.compile("\\b(?:IMGORIGIN|FASTLY)_[A-Z_]+\\b")
                .matcher(purgeSection).results().map(MatchResult::group)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(read).contains("IMGORIGIN_URL", "IMGORIGIN_NODES", "IMGORIGIN_ADMIN_TOKEN", "IMGORIGIN_CDN",
                "IMGORIGIN_VARNISH_URL", "FASTLY_SERVICE_ID", "FASTLY_API_TOKEN");

        String readme = Files.readString(Path.of("README.md"));
        String purgeTable = readme.substring(readme.indexOf("`bin/imgorigin purge` is what a takedown relies on"));
        Process help = new ProcessBuilder("bash", PurgeCommand.SCRIPT.toString(), "help").start();
        String helpText = new String(help.getInputStream().readAllBytes());
        assertThat(help.waitFor()).isZero();
        for (String variable : read) {
            assertThat(purgeTable).as("README's purge table names " + variable).contains("| `" + variable + "` |");
            assertThat(helpText).as("help names " + variable).contains("  " + variable + " ");
        }
        assertThat(purgeTable).contains("| `0` |", "| `1` |", "| `2` |");
        assertThat(helpText).contains("Exit: 0", "1 an id failed", "2 configuration error");
    }
}
