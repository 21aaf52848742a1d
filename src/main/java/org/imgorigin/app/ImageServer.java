package org.imgorigin.app;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.imgorigin.config.Config;
import org.imgorigin.metrics.Metrics;

/** One HTTP server instance on one event loop; several share the port. */
final class ImageServer extends VerticleBase {
    private static final long LAG_PROBE_MILLIS = 500;

    private final String host;
    private final int port;
    private final Supplier<Router> router;
    private final Metrics metrics;
    private final Config.Connections limits;
    /** Open connections across every instance on the port: the cap is per node, not per event loop. */
    private final AtomicInteger open;
    private HttpServer server;

    ImageServer(String host, int port, Supplier<Router> router, Metrics metrics, Config.Connections limits, AtomicInteger open) {
        this.host = host;
        this.port = port;
        this.router = router;
        this.metrics = metrics;
        this.limits = limits;
        this.open = open;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                // A backstop for a request in progress that goes silent both ways; between
                // requests and during a request head, ConnectionDeadlines is stricter.
                .setIdleTimeout((int) Math.max(75, limits.keepAliveTimeout().toSeconds()))
                // No h2c: with it, Vert.x waits for a client's first bytes before it makes the
                // connection, so a client that connects and sends nothing would escape the
                // header deadline and the cap. Browsers never speak h2c and nginx speaks HTTP/1.1
                // to its upstreams.
                .setHttp2ClearTextEnabled(false)
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(16 * 1024)
                .setCompressionSupported(false);
        Router routes = router.get();
        server = vertx.createHttpServer(options).requestHandler(request -> {
                    // The router percent-decodes paths and fails with a bare 500 on a broken
                    // escape ("%/", "%zz"): such a path is the client's error, answered here.
                    if (brokenEscape(request.path())) {
                        request.response().setStatusCode(400)
                                .putHeader("Content-Type", "application/json; charset=utf-8")
                                .putHeader("Cache-Control", "no-store")
                                .end(new io.vertx.core.json.JsonObject().put("status", 400)
                                        .put("error", "malformed percent-encoding in the path").encode());
                        return;
                    }
                    routes.handle(request);
                })
                // What the HTTP codec itself refuses (a control character in the request line,
                // an oversized header) gets the same JSON answer as everything else.
                .invalidRequestHandler(request -> {
                    int status = request.decoderResult().cause() instanceof io.netty.handler.codec.TooLongFrameException
                            ? 431 : 400;
                    request.response().setStatusCode(status)
                            .putHeader("Content-Type", "application/json; charset=utf-8")
                            .putHeader("Cache-Control", "no-store")
                            .putHeader("Connection", "close")
                            .end(new io.vertx.core.json.JsonObject().put("status", status)
                                    .put("error", status == 431 ? "request line or headers too large"
                                            : "malformed HTTP request").encode())
                            .onComplete(done -> request.connection().close());
                })
                .connectionHandler(connection -> {
                    if (open.incrementAndGet() > limits.max()) {
                        // Past the cap: closed at once, before a byte is read. The connections
                        // already open keep their service.
                        open.decrementAndGet();
                        metrics.connectionRefused();
                        if (connection instanceof io.vertx.core.http.impl.HttpServerConnection c) {
                            c.channelHandlerContext().channel().close();
                        } else {
                            connection.close();
                        }
                        return;
                    }
                    metrics.connection(1);
                    connection.closeHandler(closed -> {
                        open.decrementAndGet();
                        metrics.connection(-1);
                    });
                    ConnectionDeadlines.install(connection, limits.headerTimeout().toMillis(),
                            limits.keepAliveTimeout().toMillis(), metrics::connectionTimedOut);
                });
        // This verticle's event loop: a periodic timer that fires late measures how long
        // handlers on the loop kept it busy.
        long[] last = {System.nanoTime()};
        vertx.setPeriodic(LAG_PROBE_MILLIS, id -> {
            long now = System.nanoTime();
            metrics.eventLoopLag(now - last[0] - LAG_PROBE_MILLIS * 1_000_000);
            last[0] = now;
        });
        return server.listen(port, host);
    }

    /** True when a '%' in the path is not followed by two hex digits. */
    static boolean brokenEscape(String path) {
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
                    || Character.digit(path.charAt(i + 2), 16) < 0) {
                return true;
            }
        }
        return false;
    }

    int actualPort() {
        return server.actualPort();
    }
}
