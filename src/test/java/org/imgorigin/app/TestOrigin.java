package org.imgorigin.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;

/**
 * The preamble most server tests share: originals in {@code <root>/originals}, the cache in
 * {@code <root>/cache}, a random port, no access log; fixtures stored under their hash.
 */
final class TestOrigin {
    /**
     * Vert.x's blocked-thread checker, strict for every server a test starts in this JVM: an
     * event loop held 500 ms by one task is logged with its stack, checked every 50 ms (Vert.x's
     * defaults: 2 s, every second). Not 200 ms: on this shared 2-core box (load average 11 while
     * measured) a task that only starts a virtual thread was once logged at 202 ms, the loop's
     * thread descheduled while renders and clients ran; the check must not cry wolf.
     */
    static final long BLOCKED_MILLIS = Long.getLong(Server.EVENT_LOOP_MAX_MILLIS, 500);
    private static final List<String> BLOCKED = new CopyOnWriteArrayList<>();

    static {
        // -Dimgorigin.eventLoop.maxMillis=50 on the mvn command line looks closer (surefire
        // passes user properties on to the tests).
        System.setProperty(Server.EVENT_LOOP_MAX_MILLIS, Long.toString(BLOCKED_MILLIS));
        System.setProperty(Server.EVENT_LOOP_CHECK_MILLIS, Long.toString(Math.min(50, BLOCKED_MILLIS / 2)));
        System.setProperty(Server.EVENT_LOOP_STACK_MILLIS, Long.toString(BLOCKED_MILLIS));
        // Vert.x logs through SLF4J to java.util.logging here: the root logger sees its warnings.
        Logger.getLogger("").addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                String message = record.getMessage();
                if (message != null && message.contains("has been blocked for")) {
                    StringWriter text = new StringWriter();
                    text.append(message);
                    if (record.getThrown() != null) {
                        text.append('\n');
                        record.getThrown().printStackTrace(new PrintWriter(text));
                    }
                    BLOCKED.add(text.toString());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    private TestOrigin() {
    }

    /** Every "has been blocked for" warning Vert.x logged in this JVM so far, with its stack. */
    static List<String> blockedThreadWarnings() {
        return List.copyOf(BLOCKED);
    }

    /** The first 40 hex characters of the SHA-256: the id imgorigin gives these bytes. */
    static String idOf(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
    }

    /** Stores a fixture from src/test/resources/images in {@code <root>/originals}; returns its id. */
    static String store(Path root, String fixture) throws Exception {
        byte[] bytes = ServeImagesContract.fixture(fixture);
        String id = idOf(bytes);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), bytes, "application/octet-stream");
        }
        return id;
    }

    /** S3Proxy over {@code blobs} on 127.0.0.1:{@code port} (0: any), keys k/s, started. */
    static org.gaul.s3proxy.S3Proxy s3Proxy(org.jclouds.blobstore.BlobStore blobs, int port) throws Exception {
        org.gaul.s3proxy.S3Proxy proxy = org.gaul.s3proxy.S3Proxy.builder().blobStore(blobs)
                .endpoint(java.net.URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(org.gaul.s3proxy.AuthenticationType.AWS_V2_OR_V4, "k", "s").build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        return proxy;
    }

    /** The sum of every sample of {@code server}'s metrics that {@code regex}'s group 1 captures. */
    static long metric(Server server, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(server.metrics().scrape());
        long sum = 0;
        while (m.find()) {
            sum += (long) Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** A server over {@code root}; {@code env} adds or overrides variables, as name/value pairs. */
    static Server start(Path root, String... env) throws Exception {
        return Server.start(Config.fromEnv(env(root, env)));
    }

    /** The variables of a server over {@code root}, with {@code overrides} as name/value pairs. */
    static Map<String, String> env(Path root, String... overrides) {
        Map<String, String> vars = new HashMap<>(Map.of("IMGORIGIN_PORT", "0",
                "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                "IMGORIGIN_CACHE_DIR", root.resolve("cache").toString(),
                "IMGORIGIN_ACCESS_LOG", "false"));
        for (int i = 0; i < overrides.length; i += 2) {
            vars.put(overrides[i], overrides[i + 1]);
        }
        return vars;
    }
}
