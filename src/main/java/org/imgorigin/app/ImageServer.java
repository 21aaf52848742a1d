package org.imgorigin.app;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.function.Supplier;

/** One HTTP server instance on one event loop; several share the port. */
final class ImageServer extends VerticleBase {
    private final int port;
    private final Supplier<Router> router;
    private HttpServer server;

    ImageServer(int port, Supplier<Router> router) {
        this.port = port;
        this.router = router;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout(75)
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(16 * 1024)
                .setCompressionSupported(false);
        server = vertx.createHttpServer(options).requestHandler(router.get());
        return server.listen(port);
    }

    int actualPort() {
        return server.actualPort();
    }
}
