package org.imgorigin.app;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.CachedOriginalStore;
import org.imgorigin.cache.DiskLru;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.cache.VariantCache;
import org.imgorigin.config.Config;
import org.imgorigin.upload.RecentUploads;
import org.imgorigin.http.Blocking;
import org.imgorigin.http.RenderPool;
import org.imgorigin.http.Routes;
import java.util.Optional;
import org.imgorigin.metrics.AccessLog;
import org.imgorigin.metrics.Analytics;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.vips.Vips;

/** The wired application: components built from {@link Config}, the HTTP servers deployed. */
public final class Server implements AutoCloseable {
    private final Vertx vertx;
    private final OriginalStore store;
    private final Invalidation invalidation;
    private final JournalReader journal;
    private final Routes routes;
    private final RenderPool pool;
    private final Blocking blocking;
    private final Metrics metrics;
    private final int port;

    private Server(Vertx vertx, OriginalStore store, Invalidation invalidation, JournalReader journal, Routes routes,
            RenderPool pool, Blocking blocking, Metrics metrics, int port) {
        this.routes = routes;
        this.vertx = vertx;
        this.store = store;
        this.invalidation = invalidation;
        this.journal = journal;
        this.pool = pool;
        this.blocking = blocking;
        this.metrics = metrics;
        this.port = port;
    }

    /** Local copies of S3 originals live here, under the cache directory but outside the variants' index. */
    static final String ORIGINALS_DIR = "originals";
    /** This node's own state (images deleted through it), under the cache directory but outside the index. */
    static final String STATE_DIR = "state";
    private static final Logger LOG = Logger.getLogger(Server.class.getName());
    /** How long start-up waits for the first read of the journal of deletes. */
    private static final java.time.Duration FIRST_JOURNAL_READ = java.time.Duration.ofSeconds(10);

    /** Indexes a cache directory without holding up start-up; lookups fall back to the disk meanwhile. */
    private static void rebuildInBackground(DiskLru lru) {
        Thread.ofVirtual().name("imgorigin-cache-index").start(() -> {
            long start = System.nanoTime();
            try {
                lru.rebuild();
                LOG.info(() -> "indexed " + lru.size() + " cached files (" + lru.totalBytes() + " bytes) in "
                        + lru.root() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not index the cache in " + lru.root(), e);
            }
        });
    }

    /** System property: an event loop busy longer than this with one task is logged as blocked (ms). */
    static final String EVENT_LOOP_MAX_MILLIS = "imgorigin.eventLoop.maxMillis";
    /** System property: how often the event loops are checked (ms). */
    static final String EVENT_LOOP_CHECK_MILLIS = "imgorigin.eventLoop.checkMillis";
    /** System property: a blocked event loop blocked this long gets its stack trace logged too (ms). */
    static final String EVENT_LOOP_STACK_MILLIS = "imgorigin.eventLoop.stackMillis";

    /**
     * Vert.x's blocked-thread checker, stricter than its defaults (2 s, checked every second):
     * an image server whose event loops serve thousands of requests a second must not hold one
     * for 100 ms, so that is logged ("Thread ... has been blocked for"), and with a stack trace
     * from 1 s. Tests lower the thresholds through the system properties above.
     */
    static VertxOptions blockedThreadChecks(VertxOptions options) {
        long max = Long.getLong(EVENT_LOOP_MAX_MILLIS, 100);
        long check = Long.getLong(EVENT_LOOP_CHECK_MILLIS, 100);
        long stack = Long.getLong(EVENT_LOOP_STACK_MILLIS, 1_000);
        return options.setMaxEventLoopExecuteTime(max).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(check).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(stack).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }

    /** Starts everything and returns once the port listens; throws if anything fails to start. */
    public static Server start(Config config) throws Exception {
        Vips.init();
        int eventLoops = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
        Vertx vertx = Vertx.vertx(blockedThreadChecks(new VertxOptions().setEventLoopPoolSize(eventLoops)
                .setPreferNativeTransport(true)));
        LOG.info(() -> "network transport: " + (vertx.isNativeTransportEnabled() ? "epoll"
                : "NIO (" + vertx.unavailableNativeTransportCause() + ")"));
        OriginalStore store = null;
        Invalidation invalidation = null;
        JournalReader journal = null;
        try {
            Blocking blocking = new Blocking();
            Path cacheDir = config.cache().dir().toAbsolutePath().normalize();
            store = OriginalStores.open(config.originals().url(), config.originals().s3Endpoint(),
                    config.originals().s3Region(), config.originals().s3PathStyle());
            invalidation = new Invalidation(store, Optional.of(cacheDir.resolve(STATE_DIR).resolve("deleted")),
                    Optional.of(cacheDir.resolve(STATE_DIR).resolve("composites")),
                    Optional.of(cacheDir.resolve(STATE_DIR).resolve("journal")), Clock.systemUTC());
            // Local copies of S3 originals and the mezzanines of large originals (any store):
            // one directory, one budget, one LRU.
            Optional<DiskLru> originals = Optional.empty();
            if (config.cache().originalsBytes() > 0) {
                DiskLru copies = new DiskLru(cacheDir.resolve(ORIGINALS_DIR), config.cache().originalsBytes(),
                        Clock.systemUTC(), blocking.executor());
                rebuildInBackground(copies);
                originals = Optional.of(copies);
                if (config.originals().url().startsWith("s3://")) {
                    store = new CachedOriginalStore(store, copies, invalidation);
                }
            }
            DiskLru disk = new DiskLru(cacheDir, config.cache().maxBytes(), Clock.systemUTC(), blocking.executor(),
                    Set.of(ORIGINALS_DIR, STATE_DIR));
            rebuildInBackground(disk);
            VariantCache cache = new VariantCache(config.cache().memoryBytes(), disk,
                    config.cache().accelPrefix().isPresent());
            invalidation.registerVariants(cache::purge);
            Metrics metrics = new Metrics();
            RecentUploads recent = new RecentUploads(24);
            metrics.cacheGauges(disk::totalBytes, disk::size, cache::memoryBytes);
            metrics.cacheWritableGauge(() -> disk.writeProblem().isEmpty());
            // Which face detector g_face uses, or why there is none (then it is saliency).
            org.imgorigin.faces.FaceDetector faces = org.imgorigin.faces.FaceDetector.system();
            LOG.log(faces.available() ? Level.INFO : Level.WARNING, faces::describe);
            Renderer renderer = new Renderer(config.limits(), faces);
            RenderPool pool = new RenderPool(vertx, config.workers(), config.queue());
            metrics.renderGauges(pool::running, pool::queued, Vips::trackedMemory);
            Optional<AccessLog> accessLog = config.accessLog() ? Optional.of(new AccessLog()) : Optional.empty();
            Analytics analytics = new Analytics(accessLog);
            Routes routes = new Routes(vertx, config, store, renderer, pool, blocking, metrics, analytics, cache,
                    invalidation, recent, originals);
            // After Routes: its parts (originals in memory, mezzanines, placeholders) register
            // their tiers there, and a delete cut short by a crash must reach them too.
            Invalidation deletes = invalidation;
            Thread.ofVirtual().name("imgorigin-deletes").start(deletes::reapplyDeletes);
            // Deletes through other nodes, also while this one was down: applied before it
            // serves, unless the store takes longer than this to answer (then soon after).
            journal = new JournalReader(invalidation, metrics, config.originals().journalInterval());
            if (!journal.awaitFirstRead(FIRST_JOURNAL_READ)) {
                LOG.warning("the journal of deletes was not read within " + FIRST_JOURNAL_READ.toSeconds()
                        + " s: serving before deletes through other nodes are applied");
            }
            // Vert.x's JSON codec (Jackson) initialises on first use: 0.3-1 s of class loading on
            // an event loop, under the first JSON answer (EventLoopBlockingTest's warm-up). Here
            // it costs start-up time instead, and no client waits on it.
            new io.vertx.core.json.JsonObject().put("status", 200).encode();
            // Port 0 (tests) means one instance: instances would each get their own random port.
            int instances = config.port() == 0 ? 1 : eventLoops;
            AtomicReference<ImageServer> first = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
            vertx.deployVerticle(() -> {
                ImageServer server = new ImageServer(config.host(), config.port(), () -> routes.router(vertx), metrics,
                        config.connections(), open);
                first.compareAndSet(null, server);
                return server;
            }, new DeploymentOptions().setInstances(instances)).await(30, TimeUnit.SECONDS);
            return new Server(vertx, store, invalidation, journal, routes, pool, blocking, metrics,
                    first.get().actualPort());
        } catch (Exception | Error e) {
            if (journal != null) {
                journal.close();
            }
            if (store != null) {
                store.close();
            }
            if (invalidation != null) {
                invalidation.close();
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
    /**
     * Stops taking requests (the HTTP servers close), lets renders already running finish for
     * up to 10 s while the event loops they report to still run, then stops everything. Closing
     * Vert.x first left running renders completing onto terminated event loops.
     */
    public void close() throws Exception {
        for (String deployment : vertx.deploymentIDs()) {
            vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.running() + pool.queued() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        journal.close();
        vertx.close().await(30, TimeUnit.SECONDS);
        routes.close();
        pool.close();
        blocking.close();
        store.close();
        invalidation.close();
    }
}
