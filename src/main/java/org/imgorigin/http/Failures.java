package org.imgorigin.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderException;
import org.imgorigin.store.StoreException;
import org.imgorigin.url.UrlException;

/**
 * The router's failure handler: every error becomes {@code {"status": N, "error": "…"}} with
 * {@code Cache-Control: no-store} (404 may be cached briefly), never a stack trace.
 */
final class Failures {
    private static final Logger LOG = Logger.getLogger(Failures.class.getName());

    /**
     * How answers that may change soon are cached: a 404 (the image may be uploaded), a
     * {@code d_} stand-in, an original's metadata.
     */
    static final String BRIEFLY = "public, max-age=60";

    private Failures() {
    }

    static void handle(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (ctx.response().closed()) {
            // The client went away (a browser dropping a srcset candidate it no longer wants):
            // nobody to answer, and nothing went wrong here.
            LOG.fine(() -> "client closed the connection: " + ctx.request().path());
            return;
        }
        HttpError error = failure == null ? fromStatus(ctx.statusCode()) : translate(failure);
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            // Too late for a status: the client sees a truncated body, and the connection goes.
            LOG.log(Level.WARNING, "failure after the response started: " + ctx.request().path(), failure);
            if (!response.ended()) {
                response.reset();
            }
            return;
        }
        JsonObject body = new JsonObject().put("status", error.status()).put("error", error.getMessage());
        response.setStatusCode(error.status())
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .putHeader("Cache-Control", error.status() == 404 ? BRIEFLY : "no-store");
        ImageId id = ctx.get("id");
        if (id != null) {
            // A cached 404 for an id must go with the id's purge, like its variants.
            response.putHeader("Surrogate-Key", id.value());
        }
        if (error.status() == 429) {
            response.putHeader("Retry-After", "1");
        }
        response.end(body.encode());
    }

    /** The one mapping from failures to statuses. */
    static HttpError translate(Throwable failure) {
        return switch (failure) {
            case HttpError e -> e;
            case UrlException e -> new HttpError(400, e.getMessage());
            case RenderException e -> {
                if (!e.detail().isEmpty()) {
                    LOG.fine(() -> "render refused (" + e.status() + "): " + e.detail());
                }
                yield new HttpError(e.status(), e.getMessage());
            }
            case StoreException e -> {
                logStoreFailure(e);
                yield e.kind() == StoreException.Kind.TIMEOUT
                        ? new HttpError(504, "the original store timed out")
                        : new HttpError(502, "the original store failed");
            }
            default -> {
                if (failure.getCause() != null && failure != failure.getCause()
                        && (failure instanceof java.util.concurrent.CompletionException
                            || failure instanceof java.util.concurrent.ExecutionException)) {
                    yield translate(failure.getCause());
                }
                LOG.log(Level.SEVERE, "unexpected failure", failure);
                yield new HttpError(500, "internal error");
            }
        };
    }

    /** When the last store failure was logged with its stack trace. */
    private static final java.util.concurrent.atomic.AtomicLong LAST_STORE_TRACE = new java.util.concurrent.atomic.AtomicLong();
    private static final long STORE_TRACE_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    /**
     * While the store is down every request fails the same way: one line each, and the stack
     * trace at most once a minute, so an outage does not bury the log (or fill its disk).
     */
    private static void logStoreFailure(StoreException e) {
        long now = System.nanoTime();
        long last = LAST_STORE_TRACE.get();
        if ((last == 0 || now - last > STORE_TRACE_INTERVAL_NANOS) && LAST_STORE_TRACE.compareAndSet(last, now)) {
            LOG.log(Level.WARNING, "original store: " + e.getMessage(), e.getCause());
        } else {
            LOG.warning(() -> "original store: " + e.getMessage());
        }
    }

    private static HttpError fromStatus(int status) {
        return switch (status) {
            case 404 -> new HttpError(404, "not found");
            case 405 -> new HttpError(405, "method not allowed");
            case 413 -> new HttpError(413, "request too large");
            case 400 -> new HttpError(400, "bad request");
            default -> new HttpError(status < 400 ? 500 : status, "request failed");
        };
    }
}
