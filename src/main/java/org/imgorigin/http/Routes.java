package org.imgorigin.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.imgorigin.cache.VariantCache;
import org.imgorigin.config.Config;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.vips.Vips;

/** The HTTP surface of SPEC sections 5 and 6, as one router. */
public final class Routes {
    private Routes() {
    }

    public static Router router(Vertx vertx, Config config, OriginalStore store, Renderer renderer, RenderPool pool,
            Blocking blocking, Metrics metrics, VariantCache cache) {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(ctx -> blocking.run(ctx.vertx().getOrCreateContext(), () -> {
            if (!Vips.healthy()) {
                return "libvips does not answer";
            }
            try {
                store.check();
                return "";
            } catch (Exception e) {
                return "original store " + store.describe() + " does not answer";
            }
        }).onSuccess(problem -> {
            if (problem.isEmpty()) {
                json(ctx, 200, new JsonObject().put("status", "ready"));
            } else {
                json(ctx, 503, new JsonObject().put("status", 503).put("error", problem));
            }
        }).onFailure(ctx::fail));
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .end(metrics.scrape()));
        router.get("/").handler(Routes::home);

        ImageHandler images = new ImageHandler(config.presets(), config.signer(), store, renderer, pool, blocking,
                new Negotiator(config.limits().maxDimension()), metrics, cache, config.cache().accelPrefix());
        Admin admin = new Admin(config.adminToken(), store, cache, blocking, metrics, images);
        router.post("/admin/purge/:id").handler(admin::purge);
        router.delete("/images/:id").handler(admin::delete);
        router.routeWithRegex(HttpMethod.GET, "/[^/].*").handler(images);
        router.routeWithRegex(HttpMethod.HEAD, "/[^/].*").handler(images);
        router.route().failureHandler(Failures::handle);
        // Unrouted requests never reach a failure handler; these give them the same JSON shape.
        router.errorHandler(404, Failures::handle);
        router.errorHandler(405, Failures::handle);
        return router;
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .end(body.encode());
    }

    private static void home(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .end("""
                        <!doctype html>
                        <html lang="en"><head><meta charset="utf-8"><title>imgorigin</title>
                        <meta name="viewport" content="width=device-width, initial-scale=1">
                        <style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}
                        code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}</style></head>
                        <body><h1>imgorigin</h1>
                        <p>Variants of stored originals, from URLs an <code>&lt;img&gt;</code> tag can use:</p>
                        <p><code>/w_300,q_80/&lt;id&gt;.webp</code> &middot; <code>/c_fill,w_200,h_200,g_auto/&lt;id&gt;.avif</code></p>
                        <p><a href="/metrics">Metrics</a> &middot; <a href="/readyz">Readiness</a></p>
                        </body></html>
                        """);
    }
}
