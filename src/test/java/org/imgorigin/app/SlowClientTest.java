package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and idle clients against the connection deadlines and the connection cap, over raw
 * sockets to 127.0.0.1. Every socket has a read timeout and every loop a bound, so nothing here
 * outlives its test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowClientTest {
    static final int HEADER_TIMEOUT_S = 2;
    static final int KEEPALIVE_TIMEOUT_S = 4;
    static final int TRICKLERS = 1_000;
    /** How long after the header timeout every trickling connection must be gone. */
    static final long MARGIN_MILLIS = 3_000;
    static final long P99_BOUND_MILLIS = 200;
    static final String REQUEST = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    @TempDir
    static Path root;
    Server server;
    HttpClient http;
    String imagePath;

    @BeforeAll
    void start() throws Exception {
        server = TestOrigin.start(root, "IMGORIGIN_HEADER_TIMEOUT", Integer.toString(HEADER_TIMEOUT_S),
                "IMGORIGIN_KEEPALIVE_TIMEOUT", Integer.toString(KEEPALIVE_TIMEOUT_S));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        byte[] jpeg = HostileInputs.jpeg(640, 480);
        HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(uri("/images"))
                .header("Content-Type", "image/jpeg").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(uploaded.statusCode()).isEqualTo(201);
        imagePath = "/w_200/" + TestOrigin.idOf(jpeg) + ".webp";
        assertThat(get(imagePath)).isEqualTo(200);
    }

    @AfterAll
    void stop() throws Exception {
        http.close();
        server.close();
    }

    @Test
    void aThousandTricklingClientsAreClosedAtTheHeaderDeadlineWhileOthersAreServed() throws Exception {
        long files = openFileLimit();
        System.out.println("SlowClientTest: open-file limit " + files);
        // Each trickler is two descriptors in this JVM (client and server end), plus the JVM's own.
        assumeTrue(files >= 2L * TRICKLERS + 1_000, "ulimit -n is " + files + ", too low for " + TRICKLERS + " sockets");

        long[] before = latencies(300);
        AtomicLongArray closedAt = new AtomicLongArray(TRICKLERS);
        AtomicInteger timeouts = new AtomicInteger();
        List<Socket> sockets = new ArrayList<>();
        CountDownLatch closed = new CountDownLatch(TRICKLERS);
        long[] during;
        long opened;
        long allOpen;
        try {
            opened = System.nanoTime();
            for (int i = 0; i < TRICKLERS; i++) {
                Socket socket = new Socket("127.0.0.1", server.port());
                socket.setSoTimeout(30_000);
                sockets.add(socket);
                int index = i;
                Thread.ofVirtual().start(() -> {
                    String answer = readUntilClosed(socket);
                    if (answer.startsWith("HTTP/1.1 408")) {
                        timeouts.incrementAndGet();
                    }
                    closedAt.set(index, System.nanoTime());
                    closed.countDown();
                });
            }
            allOpen = System.nanoTime();
            // One byte a second on every socket, from one thread, until all are closed (bounded).
            Thread trickler = Thread.ofPlatform().daemon().start(() -> {
                byte[] line = REQUEST.getBytes(StandardCharsets.US_ASCII);
                for (int second = 0; second < line.length && closed.getCount() > 0; second++) {
                    for (Socket socket : sockets) {
                        try {
                            socket.getOutputStream().write(line[second]);
                        } catch (IOException gone) {
                            // closed by the server
                        }
                    }
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            during = latenciesUntilClosed(closed);
            assertThat(closed.await(HEADER_TIMEOUT_S * 1_000L + MARGIN_MILLIS + 10_000, TimeUnit.MILLISECONDS))
                    .as("every trickling connection closed").isTrue();
            trickler.interrupt();
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        long last = 0;
        long first = Long.MAX_VALUE;
        for (int i = 0; i < TRICKLERS; i++) {
            last = Math.max(last, closedAt.get(i));
            first = Math.min(first, closedAt.get(i));
        }
        long openMillis = (allOpen - opened) / 1_000_000;
        long firstClosed = (first - opened) / 1_000_000;
        long lastClosed = (last - opened) / 1_000_000;
        System.out.printf("SlowClientTest: %d trickling connections opened in %d ms, closed %d-%d ms after the "
                        + "first opened (header timeout %d s), %d answered 408%n",
                TRICKLERS, openMillis, firstClosed, lastClosed, HEADER_TIMEOUT_S, timeouts.get());
        System.out.printf("SlowClientTest: healthz+image p50/p99/max before %.1f/%.1f/%.1f ms (%d requests), during "
                        + "%.1f/%.1f/%.1f ms (%d requests)%n", pct(before, 50), pct(before, 99), pct(before, 100),
                before.length, pct(during, 50), pct(during, 99), pct(during, 100), during.length);
        assertThat(firstClosed).as("no connection closed before its deadline")
                .isGreaterThanOrEqualTo(HEADER_TIMEOUT_S * 1_000L - 100);
        assertThat(lastClosed).as("ms until the last trickler was closed")
                .isLessThan(openMillis + HEADER_TIMEOUT_S * 1_000L + MARGIN_MILLIS);
        assertThat(timeouts.get()).as("connections answered 408 before the close").isEqualTo(TRICKLERS);
        assertThat(pct(during, 99)).as("p99 ms of ordinary requests while trickled at").isLessThan(P99_BOUND_MILLIS);
        assertThat(get("/healthz")).isEqualTo(200);
    }

    @Test
    void aSilentConnectionGets408AtTheHeaderDeadline() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((HEADER_TIMEOUT_S + 5) * 1_000);
            long start = System.nanoTime();
            String answer = readUntilClosed(socket);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(answer).startsWith("HTTP/1.1 408").contains("application/json").contains("\"status\":408");
            assertThat(millis).isBetween(HEADER_TIMEOUT_S * 1_000L - 100, HEADER_TIMEOUT_S * 1_000L + MARGIN_MILLIS);
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((KEEPALIVE_TIMEOUT_S + 5) * 1_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(REQUEST.getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            long answered = System.nanoTime();
            // Idle past the header timeout but within the keep-alive timeout: still usable.
            Thread.sleep(HEADER_TIMEOUT_S * 1_000L + 500);
            out.write(REQUEST.getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).as("a request after an idle pause shorter than the keep-alive timeout")
                    .startsWith("HTTP/1.1 200");
            answered = System.nanoTime();
            // Then silent: closed, without an answer, once the keep-alive timeout has passed.
            int eof = in.read();
            long millis = (System.nanoTime() - answered) / 1_000_000;
            assertThat(eof).isEqualTo(-1);
            System.out.println("SlowClientTest: idle kept-alive connection closed after " + millis + " ms (keep-alive timeout "
                    + KEEPALIVE_TIMEOUT_S + " s)");
            assertThat(millis).isBetween(KEEPALIVE_TIMEOUT_S * 1_000L - 100, KEEPALIVE_TIMEOUT_S * 1_000L + MARGIN_MILLIS);
        }
    }

    @Test
    void pipelinedRequestsAreAllAnsweredAndThenTheKeepAliveTimeoutRuns() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((KEEPALIVE_TIMEOUT_S + 5) * 1_000);
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write((REQUEST + "GET " + imagePath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: image/webp\r\n\r\n" + REQUEST).getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 3; i++) {
                assertThat(readResponse(in)).as("pipelined response " + (i + 1)).startsWith("HTTP/1.1 200");
            }
            long answered = System.nanoTime();
            assertThat(in.read()).isEqualTo(-1);
            assertThat((System.nanoTime() - answered) / 1_000_000)
                    .isBetween(KEEPALIVE_TIMEOUT_S * 1_000L - 100, KEEPALIVE_TIMEOUT_S * 1_000L + MARGIN_MILLIS);
        }
    }

    @Test
    void aRequestTrickledOnAKeptAliveConnectionGets408AtTheHeaderDeadline() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(REQUEST.getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            long start = System.nanoTime();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (byte b : REQUEST.getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        Thread.sleep(500);
                    }
                } catch (IOException | InterruptedException gone) {
                    // closed by the server
                }
            });
            String answer = readUntilClosed(socket);
            long millis = (System.nanoTime() - start) / 1_000_000;
            writer.interrupt();
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(millis).isBetween(HEADER_TIMEOUT_S * 1_000L - 100, HEADER_TIMEOUT_S * 1_000L + MARGIN_MILLIS);
        }
    }

    @Test
    void aSlowButLegalUploadBodyIsNotCutByTheHeaderDeadline() throws Exception {
        byte[] jpeg = HostileInputs.jpeg(320, 240);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + jpeg.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The body over three header timeouts, pausing well under the upload idle timeout.
            int pieces = 6;
            long start = System.nanoTime();
            for (int i = 0; i < pieces; i++) {
                int from = jpeg.length * i / pieces;
                int to = jpeg.length * (i + 1) / pieces;
                out.write(Arrays.copyOfRange(jpeg, from, to));
                out.flush();
                if (i < pieces - 1) {
                    Thread.sleep(HEADER_TIMEOUT_S * 1_000L / 2);
                }
            }
            String answer = readResponse(socket.getInputStream());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(millis).isGreaterThan(HEADER_TIMEOUT_S * 2_000L);
            assertThat(answer).startsWith("HTTP/1.1 201").contains(TestOrigin.idOf(jpeg));
        }
    }

    @Test
    void pastTheCapANewConnectionIsClosedAtOnceAndTheOpenOnesAreServed() throws Exception {
        int cap = 20;
        Path capRoot = Files.createDirectories(root.resolve("capped"));
        List<Socket> sockets = new ArrayList<>();
        try (Server capped = TestOrigin.start(capRoot, "IMGORIGIN_MAX_CONNECTIONS", Integer.toString(cap))) {
            try {
                for (int i = 0; i < cap; i++) {
                    Socket socket = new Socket("127.0.0.1", capped.port());
                    socket.setSoTimeout(10_000);
                    sockets.add(socket);
                    socket.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
                    assertThat(readResponse(socket.getInputStream())).as("connection " + (i + 1)).startsWith("HTTP/1.1 200");
                }
                try (Socket extra = new Socket("127.0.0.1", capped.port())) {
                    extra.setSoTimeout(10_000);
                    long start = System.nanoTime();
                    String answer = readUntilClosed(extra);
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    System.out.println("SlowClientTest: connection " + (cap + 1) + " closed after " + millis + " ms");
                    assertThat(answer).as("what connection " + (cap + 1) + " got").isEmpty();
                    assertThat(millis).isLessThan(1_000);
                }
                // The open ones are still served.
                for (Socket socket : sockets) {
                    socket.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
                    assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
                }
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            // Below the cap again, new connections are taken; the refusal was counted.
            String metrics = null;
            int refusedAgain = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (metrics == null && System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + capped.port()
                            + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    metrics = r.body();
                } catch (IOException refusedWhileClosing) {
                    // The server had not yet seen the 20 sockets close: this one was refused
                    // (and counted) too; CI saw a count of 2. The JDK's client may already have
                    // retried a GET refused before any byte once on its own, so each failed
                    // attempt may be two refusals.
                    refusedAgain++;
                    Thread.sleep(100);
                }
            }
            assertThat(metrics).isNotNull();
            double refused = metrics.lines().filter(l -> l.startsWith("imgorigin_http_connections_refused_total "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
            assertThat(refused).as("refusals counted: connection 21, and any metrics request refused while the "
                    + "others closed (%d)", refusedAgain).isBetween(1.0, 2.0 + 2.0 * refusedAgain);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** Latencies (ns) of {@code n} requests, alternating /healthz and a cached image. */
    private long[] latencies(int n) throws Exception {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            assertThat(get(i % 2 == 0 ? "/healthz" : imagePath)).isEqualTo(200);
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    /** Latencies (ns) of requests made one after another until every trickler is closed (at most 15 s). */
    private long[] latenciesUntilClosed(CountDownLatch closed) throws Exception {
        List<Long> nanos = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (int i = 0; closed.getCount() > 0 && System.nanoTime() < deadline; i++) {
            long start = System.nanoTime();
            assertThat(get(i % 2 == 0 ? "/healthz" : imagePath)).isEqualTo(200);
            nanos.add(System.nanoTime() - start);
            Thread.sleep(2);
        }
        return nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private static double pct(long[] sortedNanos, int percentile) {
        int index = Math.min(sortedNanos.length - 1, (int) Math.ceil(percentile / 100.0 * sortedNanos.length) - 1);
        return sortedNanos[index] / 1e6;
    }

    private int get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Accept", "image/webp").timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** Everything the server sends until it closes (a reset counts as a close). */
    private static String readUntilClosed(Socket socket) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        try {
            InputStream in = socket.getInputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
            }
        } catch (IOException resetOrTimeout) {
            // closed (a reset after the trickler wrote to a closed socket) or timed out
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** One response with a Content-Length body, read off a kept-alive connection. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring("Max open files".length()).strip().split("\\s+")[0]);
            }
        }
        return 0;
    }
}
