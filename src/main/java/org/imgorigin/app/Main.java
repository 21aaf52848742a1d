package org.imgorigin.app;

import java.util.logging.Logger;
import org.imgorigin.config.Config;
import org.imgorigin.config.ConfigException;
import org.imgorigin.url.Signer;
import org.imgorigin.vips.Vips;

/** {@code java -jar imgorigin.jar}: configuration from the environment, then the server until SIGTERM. */
public final class Main {
    static {
        // Before the first logger exists: one line per record, ISO time first.
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }

    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        // imgorigin logs through java.util.logging; Vert.x would otherwise go through SLF4J
        // (on the classpath for the AWS SDK) to the same place, and its per-request
        // isTraceEnabled check through the bridge was a visible share of a cache hit.
        if (System.getProperty("vertx.logger-delegate-factory-class-name") == null) {
            System.setProperty("vertx.logger-delegate-factory-class-name",
                    "io.vertx.core.logging.JULLogDelegateFactory");
        }
        if (args.length > 0 && args[0].equals("sign")) {
            System.exit(sign(args));
        }
        Config config;
        try {
            config = Config.fromEnv(System.getenv());
        } catch (ConfigException e) {
            System.err.println("imgorigin: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Server server = Server.start(config);
            LOG.info(() -> "imgorigin listening on " + config.host() + " port " + server.port() + " (libvips " + Vips.version()
                    + ", originals " + config.originals().url() + ", " + config.workers() + " render workers, queue "
                    + config.queue() + ")");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    LOG.warning("shutdown: " + e);
                }
            }, "imgorigin-shutdown"));
        } catch (Exception e) {
            System.err.println("imgorigin: failed to start: " + e.getMessage());
            System.exit(1);
        }
    }

    /** {@code sign <path>…}: prints each path signed with the first key of IMGORIGIN_SIGNING_KEY. */
    private static int sign(String[] args) {
        String keys = System.getenv("IMGORIGIN_SIGNING_KEY");
        if (keys == null || keys.isBlank()) {
            System.err.println("imgorigin: IMGORIGIN_SIGNING_KEY is not set");
            return 2;
        }
        try {
            Signer signer = Signer.of(keys);
            for (int i = 1; i < args.length; i++) {
                System.out.println(signer.sign(args[i]));
            }
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("imgorigin: IMGORIGIN_SIGNING_KEY: " + e.getMessage());
            return 2;
        }
    }
}
