package org.imgorigin.app;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.imgorigin.config.Config;
import org.imgorigin.http.Blocking;
import org.imgorigin.http.RenderPool;
import org.imgorigin.http.Routes;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.vips.Vips;

/** The wired application: components built from {@link Config}, the HTTP servers deployed. */
public final class Server implements AutoCloseable {
    private final Vertx vertx;
    private final OriginalStore store;
    private final RenderPool pool;
    private final Blocking blocking;
    private final Metrics metrics;
    private final int port;

    private Server(Vertx vertx, OriginalStore store, RenderPool pool, Blocking blocking, Metrics metrics, int port) {
        this.vertx = vertx;
        this.store = store;
        this.pool = pool;
        this.blocking = blocking;
        this.metrics = metrics;
        this.port = port;
    }

    /** Starts everything and returns once the port listens; throws if anything fails to start. */
    public static Server start(Config config) throws Exception {
        Vips.init();
        int eventLoops = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
        OriginalStore store = null;
        try {
            store = OriginalStores.open(config.originals().url(), config.originals().s3Endpoint(),
                    config.originals().s3Region(), config.originals().s3PathStyle());
            Metrics metrics = new Metrics();
            Renderer renderer = new Renderer(config.limits());
            RenderPool pool = new RenderPool(vertx, config.workers(), config.queue());
            Blocking blocking = new Blocking();
            metrics.renderGauges(pool::running, pool::queued, Vips::trackedMemory);
            OriginalStore finalStore = store;
            // Port 0 (tests) means one instance: instances would each get their own random port.
            int instances = config.port() == 0 ? 1 : eventLoops;
            AtomicReference<ImageServer> first = new AtomicReference<>();
            vertx.deployVerticle(() -> {
                ImageServer server = new ImageServer(config.port(),
                        () -> Routes.router(vertx, config, finalStore, renderer, pool, blocking, metrics));
                first.compareAndSet(null, server);
                return server;
            }, new DeploymentOptions().setInstances(instances)).await(30, TimeUnit.SECONDS);
            return new Server(vertx, store, pool, blocking, metrics, first.get().actualPort());
        } catch (Exception | Error e) {
            if (store != null) {
                store.close();
            }
            vertx.close().await(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public Metrics metrics() {
        return metrics;
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
        pool.close();
        blocking.close();
        store.close();
    }
}
