package org.imgorigin.app;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.function.Supplier;
import org.imgorigin.metrics.Metrics;

/** One HTTP server instance on one event loop; several share the port. */
final class ImageServer extends VerticleBase {
    private static final long LAG_PROBE_MILLIS = 500;

    private final int port;
    private final Supplier<Router> router;
    private final Metrics metrics;
    private HttpServer server;

    ImageServer(int port, Supplier<Router> router, Metrics metrics) {
        this.port = port;
        this.router = router;
        this.metrics = metrics;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout(75)
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(16 * 1024)
                .setCompressionSupported(false);
        server = vertx.createHttpServer(options).requestHandler(router.get())
                .connectionHandler(connection -> {
                    metrics.connection(1);
                    connection.closeHandler(closed -> metrics.connection(-1));
                });
        // This verticle's event loop: a periodic timer that fires late measures how long
        // handlers on the loop kept it busy.
        long[] last = {System.nanoTime()};
        vertx.setPeriodic(LAG_PROBE_MILLIS, id -> {
            long now = System.nanoTime();
            metrics.eventLoopLag(now - last[0] - LAG_PROBE_MILLIS * 1_000_000);
            last[0] = now;
        });
        return server.listen(port);
    }

    int actualPort() {
        return server.actualPort();
    }
}
