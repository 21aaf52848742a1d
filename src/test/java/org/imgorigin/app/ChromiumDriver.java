package org.imgorigin.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium driven through Debian's {@code chromedriver} over the W3C WebDriver HTTP
 * protocol: just the commands the page tests need, no client library. {@link #close()} ends
 * the session and the chromedriver process (which takes its browser with it).
 */
final class ChromiumDriver implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** W3C's key for an element reference in a JSON answer. */
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

    private final Process process;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private String session;

    private ChromiumDriver(Process process, int port) {
        this.process = process;
        this.base = "http://127.0.0.1:" + port;
    }

    static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    /** Starts chromedriver on a free loopback port and opens a session; {@code javaScript} false turns page scripts off. */
    static ChromiumDriver start(Path workDir, boolean javaScript) throws Exception {
        int port = freePort();
        Path profile = Files.createTempDirectory(workDir, "chromium-profile");
        Process process = new ProcessBuilder(List.of(CHROMEDRIVER.toString(), "--port=" + port))
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromedriver-" + port + ".log").toFile())
                .start();
        ChromiumDriver driver = new ChromiumDriver(process, port);
        try {
            driver.awaitReady();
            JsonObject options = new JsonObject()
                    .put("binary", CHROMIUM.toString())
                    .put("args", new JsonArray(List.of("--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--no-first-run", "--window-size=1280,1600", "--user-data-dir=" + profile)));
            if (!javaScript) {
                options.put("prefs", new JsonObject().put("profile.managed_default_content_settings.javascript", 2));
            }
            JsonObject capabilities = new JsonObject().put("alwaysMatch", new JsonObject()
                    .put("browserName", "chrome")
                    .put("goog:chromeOptions", options));
            JsonObject created = driver.call("POST", "/session", new JsonObject().put("capabilities", capabilities));
            driver.session = created.getJsonObject("value").getString("sessionId");
            return driver;
        } catch (Exception | Error e) {
            driver.close();
            throw e;
        }
    }

    void navigate(String url) throws Exception {
        command("POST", "/url", new JsonObject().put("url", url));
    }

    void refresh() throws Exception {
        command("POST", "/refresh", new JsonObject());
    }

    /** The element matching a CSS selector; fails when there is none. */
    String find(String css) throws Exception {
        JsonObject value = (JsonObject) command("POST", "/element",
                new JsonObject().put("using", "css selector").put("value", css));
        return value.getString(ELEMENT);
    }

    void sendKeys(String element, String text) throws Exception {
        command("POST", "/element/" + element + "/value", new JsonObject().put("text", text));
    }

    void click(String element) throws Exception {
        command("POST", "/element/" + element + "/click", new JsonObject());
    }

    String text(String element) throws Exception {
        return (String) command("GET", "/element/" + element + "/text", null);
    }

    /** Runs a function body in the page; returns its value as decoded JSON (JsonObject, JsonArray, String, Number, Boolean or null). */
    Object execute(String script, Object... args) throws Exception {
        return command("POST", "/execute/sync",
                new JsonObject().put("script", script).put("args", new JsonArray(List.of(args))));
    }

    /**
     * A Chrome DevTools Protocol command through chromedriver's {@code goog/cdp/execute}
     * (e.g. {@code Emulation.setDeviceMetricsOverride} for a viewport width and pixel ratio);
     * returns its result.
     */
    Object devTools(String cdpCommand, JsonObject params) throws Exception {
        return command("POST", "/goog/cdp/execute", new JsonObject().put("cmd", cdpCommand).put("params", params));
    }

    byte[] screenshot() throws Exception {
        return Base64.getDecoder().decode((String) command("GET", "/screenshot", null));
    }

    private Object command(String method, String path, JsonObject body) throws Exception {
        return call(method, "/session/" + session + path, body).getValue("value");
    }

    private JsonObject call(String method, String path, JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json; charset=utf-8")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonObject answer = new JsonObject(response.body());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("WebDriver " + method + " " + path + " answered " + response.statusCode()
                    + ": " + answer.encode());
        }
        return answer;
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                JsonObject status = call("GET", "/status", null);
                if (status.getJsonObject("value").getBoolean("ready", false)) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // retried below until the deadline
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("chromedriver exited with " + process.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("chromedriver did not become ready within 20 s");
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (session != null) {
                call("DELETE", "/session/" + session, null);
            }
        } catch (Exception e) {
            // the process goes below either way
        } finally {
            session = null;
            // A browser left behind by a failed session end goes with its driver.
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
