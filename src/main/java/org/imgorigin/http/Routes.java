package org.imgorigin.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.imgorigin.cache.DiskLru;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.cache.VariantCache;
import org.imgorigin.config.Config;
import org.imgorigin.metrics.Analytics;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.upload.Ingest;
import org.imgorigin.upload.RecentUploads;
import org.imgorigin.vips.Vips;

/**
 * The HTTP surface of the README's Responses and Endpoints. The handlers are built once and shared by every
 * event loop's router, so one render per variant and the per-id knowledge hold node-wide.
 */
public final class Routes implements AutoCloseable {
    private final OriginalStore store;
    /** The client that reaches the balancer for eager hand-offs; closed with the server. */
    private final Optional<java.net.http.HttpClient> balancer;
    private final DiskLru disk;
    private final Blocking blocking;
    private final Metrics metrics;
    private final ImageHandler images;
    private final Admin admin;
    private final UploadHandler uploads;
    private final EagerVariants eager;
    private final HomePage home;
    private final Analytics analytics;
    private final Cors cors;

    public Routes(Vertx vertx, Config config, OriginalStore store, Renderer renderer, RenderPool pool,
            Blocking blocking, Metrics metrics, Analytics analytics, VariantCache cache, Invalidation invalidation,
            RecentUploads recent) {
        this(vertx, config, store, renderer, pool, blocking, metrics, analytics, cache, invalidation, recent,
                Optional.empty());
    }

    /** {@code originals}: the local copies of originals, where mezzanines are kept too (none without). */
    public Routes(Vertx vertx, Config config, OriginalStore store, Renderer renderer, RenderPool pool,
            Blocking blocking, Metrics metrics, Analytics analytics, VariantCache cache, Invalidation invalidation,
            RecentUploads recent, Optional<DiskLru> originals) {
        this.store = store;
        this.disk = cache.disk();
        this.blocking = blocking;
        this.metrics = metrics;
        Sources sources = new Sources(store, renderer, blocking, metrics, invalidation, config.maxOriginalBytes(),
                config.originalsInFlightBytes());
        metrics.originalsGauge(sources::inMemory);
        Mezzanines mezzanines = new Mezzanines(originals, invalidation, metrics, config.cache().mezzanineEdge(),
                config.cache().mezzanineMemoryBytes());
        Variants variants = new Variants(store, sources, renderer, pool, blocking, metrics, cache, invalidation,
                mezzanines, config.burst());
        // Beside the cache, under its state directory: the disk cache's LRU neither counts nor evicts it.
        Placeholders placeholders = new Placeholders(sources, pool, renderer, blocking, invalidation,
                Optional.of(config.cache().dir().toAbsolutePath().normalize().resolve("state").resolve("placeholders")));
        this.cors = new Cors(config.allowOrigins(), config.uploadOrigins());
        Negotiator negotiator = new Negotiator(config.limits().maxDimension(), Vips.writesJpegXl());
        this.images = new ImageHandler(config.presets(), config.signer(), variants, negotiator, metrics, analytics,
                config.cache().accelPrefix(), blocking, cors);
        this.analytics = analytics;
        this.admin = new Admin(config.adminToken(), invalidation, blocking, metrics);
        // Only to reach the balancer with IMGORIGIN_EAGER_VIA: the JDK's client, called on a
        // virtual thread. Vert.x's own client linked and loaded its classes on the event loop at
        // the first hand-off (150-270 ms, logged as a blocked event loop).
        this.balancer = config.eagerVia().map(via -> java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .connectTimeout(java.time.Duration.ofMillis(EagerVariants.HANDOFF_TIMEOUT_MILLIS / 2))
                .executor(blocking.executor()).build());
        this.eager = new EagerVariants(config.eager(), variants, sources, blocking, metrics, config.adminToken(),
                config.eagerVia(), balancer);
        this.uploads = new UploadHandler(config.uploadToken(), config.maxUploadBytes(),
                new Ingest(store, renderer), blocking, variants, placeholders, eager,
                recent, metrics, config.uploadBodyTimeout(), config.uploadIdleTimeout(), config.signer().isPresent(), cors);
        this.home = new HomePage(recent);
    }

    /** A router for one server instance (one event loop). */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(this::ready);
        // Formatting the whole registry took 50-200 ms on a loaded box: off the event loop.
        router.get("/metrics").handler(ctx -> blocking.run(ctx.vertx().getOrCreateContext(), metrics::scrape)
                .onSuccess(text -> ctx.response()
                        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .putHeader("Cache-Control", "no-store")
                        .end(text))
                .onFailure(ctx::fail));
        router.get("/").handler(home::handle);
        router.get("/analytics").handler(ctx -> json(ctx, 200, analytics.snapshot(topImages(ctx))));
        // Browsers ask for it; it is no image id, and should not count as a bad image URL.
        router.get("/favicon.ico").handler(ctx -> ctx.response().setStatusCode(204)
                .putHeader("Cache-Control", "public, max-age=86400").end());
        router.post("/images").handler(uploads::upload);
        // A prefix, not "/images/:id": a path parameter is a regex, tried on every image URL.
        router.get("/images/*").handler(uploads::describe);
        router.delete("/images/:id").handler(admin::delete);
        router.post("/admin/purge/:id").handler(admin::purge);
        router.post("/admin/eager/:id").handler(eager::handle);
        // Everything else is an image URL (the parser answers 400 for what is not). A route
        // without a path: matching a regex on every request was a visible share of a hit.
        router.get().handler(images);
        router.head().handler(images);
        // Preflights: for uploads from IMGORIGIN_UPLOAD_ORIGINS, and for image paths. The
        // server's other paths (admin, metrics, analytics, metadata) grant no origin anything.
        router.options("/images").handler(cors::uploadPreflight);
        router.options().handler(ctx -> {
            // The router matched the normalised path (//images/x is /images/x): so does this.
            if (NOT_IMAGES.matcher(ctx.normalizedPath()).matches()) {
                ctx.fail(new HttpError(405, "method not allowed"));
            } else {
                cors.imagePreflight(ctx);
            }
        });
        router.route().failureHandler(Failures::handle);
        // Unrouted requests never reach a failure handler; these give them the same JSON shape.
        router.errorHandler(400, Failures::handle);
        router.errorHandler(404, Failures::handle);
        router.errorHandler(405, Failures::handle);
        return router;
    }

    /** Paths that are not image URLs: an OPTIONS there is no preflight this server grants. */
    private static final java.util.regex.Pattern NOT_IMAGES = java.util.regex.Pattern.compile(
            "/|/(admin|images)(/.*)?|/(metrics|analytics|healthz|readyz|favicon\\.ico)/?");

    /**
     * 503 when libvips or the original store does not answer: this node cannot serve. A
     * disk cache that refuses writes (full, read-only) leaves it ready — it renders what it
     * cannot cache, and taking every node with a full disk out would be an outage — but
     * {@code "status": "degraded"} says why, after a probe write shows it still fails.
     */
    private void ready(RoutingContext ctx) {
        blocking.run(ctx.vertx().getOrCreateContext(), () -> {
            if (!Vips.healthy()) {
                return new JsonObject().put("status", 503).put("error", "libvips does not answer");
            }
            try {
                store.check();
            } catch (Exception e) {
                return new JsonObject().put("status", 503)
                        .put("error", "original store " + store.describe() + " does not answer");
            }
            Optional<String> diskProblem = disk.writeProblem().isPresent() ? disk.probe() : Optional.empty();
            return diskProblem.map(p -> new JsonObject().put("status", "degraded").put("cache",
                            "the disk cache in " + disk.root() + " refuses writes (" + p
                                    + "): variants are rendered but not cached"))
                    .orElse(new JsonObject().put("status", "ready"));
        }).onSuccess(answer -> json(ctx, answer.getValue("status") instanceof Integer code ? code : 200, answer))
                .onFailure(ctx::fail);
    }

    /** {@code ?top=N}, 1-100, default 20. */
    private static int topImages(RoutingContext ctx) {
        try {
            return Math.max(1, Math.min(100, Integer.parseInt(ctx.request().getParam("top", "20"))));
        } catch (NumberFormatException e) {
            return 20;
        }
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .end(body.encode());
    }

    @Override
    public void close() {
        balancer.ifPresent(java.net.http.HttpClient::close);
    }
}
