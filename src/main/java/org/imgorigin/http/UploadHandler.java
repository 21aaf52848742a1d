package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.upload.Ingest;
import org.imgorigin.upload.Receiver;
import org.imgorigin.upload.RecentUploads;
import org.imgorigin.upload.UploadException;

/**
 * {@code POST /images}: a raw image body or a {@code multipart/form-data} field {@code file},
 * streamed through a {@link Receiver} (hashed, sniffed, bounded as it arrives), then checked
 * and stored by {@link Ingest} on a virtual thread. {@code GET /images/<id>}: an original's
 * metadata.
 */
final class UploadHandler {
    private static final Logger LOG = Logger.getLogger(UploadHandler.class.getName());
    private static final long MULTIPART_SLACK = 64 * 1024;
    private static final long LINGER_MILLIS = 2_000;

    private final Optional<String> token;
    private final long maxBytes;
    private final Ingest ingest;
    private final Blocking blocking;
    private final Variants variants;
    private final Placeholders placeholders;
    private final EagerVariants eager;
    private final RecentUploads recent;
    private final Metrics metrics;
    private final java.time.Duration bodyTimeout;
    private final java.time.Duration idleTimeout;

    private final Cors cors;
    /** Signed upload URLs, when an upload token is set to sign them with. */
    private final Optional<SignedUploads> signedUploads;

    /** With IMGORIGIN_SIGNING_KEY set, {@code GET /images/<id>} needs the upload token too. */
    private final boolean signedOnly;

    UploadHandler(Optional<String> token, long maxBytes, Ingest ingest, Blocking blocking, Variants variants,
            Placeholders placeholders, EagerVariants eager, RecentUploads recent, Metrics metrics, java.time.Duration bodyTimeout,
            java.time.Duration idleTimeout, boolean signedOnly, Cors cors) {
        this.token = token;
        this.cors = cors;
        this.signedUploads = token.map(t -> new SignedUploads(t, () -> System.currentTimeMillis() / 1000));
        this.signedOnly = signedOnly;
        this.maxBytes = maxBytes;
        this.ingest = ingest;
        this.blocking = blocking;
        this.variants = variants;
        this.placeholders = placeholders;
        this.eager = eager;
        this.recent = recent;
        this.metrics = metrics;
        this.bodyTimeout = bodyTimeout;
        this.idleTimeout = idleTimeout;
    }

    void upload(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        // Before anything can fail: a page on an upload origin may read why its upload failed.
        cors.upload(request, ctx.response());
        try {
            if (SignedUploads.present(request.params())) {
                // A signed URL stands in for the bearer token, for this one upload only.
                // From a browser, only pages on IMGORIGIN_UPLOAD_ORIGINS may use it: a form post
                // (multipart, no preflight) from any other page is refused here as well.
                if (!cors.uploadOriginAllowed(request)) {
                    throw new HttpError(403, "this origin may not upload (not in IMGORIGIN_UPLOAD_ORIGINS)");
                }
                signedUploads.orElseThrow(() -> new HttpError(403,
                        "signed upload URLs need IMGORIGIN_UPLOAD_TOKEN on the server")).authorise(request.query());
            } else {
                Admin.authorise(request, token, "upload");
            }
        } catch (HttpError e) {
            refuse(ctx, e.status(), e.getMessage());
            return;
        }
        String contentLength = request.getHeader("Content-Length");
        // A multipart envelope adds a few hundred bytes around the file: allow for it here; the
        // Receiver enforces the exact limit on the file itself.
        if (contentLength != null && parseLong(contentLength) > maxBytes + MULTIPART_SLACK) {
            // Known too large before a byte is read: refuse without reading the rest.
            refuse(ctx, 413, "upload is larger than the limit of " + maxBytes + " bytes");
            return;
        }
        String type = Optional.ofNullable(request.getHeader("Content-Type")).orElse("").toLowerCase(Locale.ROOT);
        Receiver receiver = new Receiver(maxBytes);
        boolean[] failed = {false};
        boolean[] sawFile = {false};
        // A client trickling its body (one byte a second) holds no worker, but it holds a
        // connection and up to the size limit in memory: it gets a deadline for the whole body
        // and one for each pause.
        long[] idle = {0};
        Runnable tooSlow = () -> {
            if (!failed[0] && !request.isEnded()) {
                failed[0] = true;
                refuse(ctx, 408, "the upload was too slow; send the body within " + bodyTimeout.toSeconds()
                        + " s, pausing no longer than " + idleTimeout.toSeconds() + " s");
            }
        };
        long deadline = ctx.vertx().setTimer(bodyTimeout.toMillis(), t -> tooSlow.run());
        idle[0] = ctx.vertx().setTimer(idleTimeout.toMillis(), t -> tooSlow.run());
        ctx.addEndHandler(done -> {
            ctx.vertx().cancelTimer(deadline);
            ctx.vertx().cancelTimer(idle[0]);
        });
        java.util.function.Consumer<io.vertx.core.buffer.Buffer> feed = chunk -> {
            if (failed[0]) {
                return;
            }
            ctx.vertx().cancelTimer(idle[0]);
            idle[0] = ctx.vertx().setTimer(idleTimeout.toMillis(), t -> tooSlow.run());
            try {
                receiver.append(chunk.getBytes());
            } catch (UploadException e) {
                failed[0] = true;
                refuse(ctx, e.status(), e.getMessage());
            }
        };
        if (type.startsWith("multipart/form-data")) {
            request.setExpectMultipart(true);
            request.uploadHandler(part -> {
                if (!part.name().equals("file") || sawFile[0]) {
                    part.handler(ignored -> { });
                    return;
                }
                sawFile[0] = true;
                part.handler(feed::accept);
            });
        } else if (type.startsWith("image/") || type.startsWith("application/octet-stream")) {
            request.handler(feed::accept);
        } else {
            refuse(ctx, 415, "Content-Type must be an image type or multipart/form-data with a field 'file'");
            return;
        }
        request.exceptionHandler(e -> failed[0] = true); // client gone: nothing was stored
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            // The client waits for this before sending the body (curl does for large files).
            ctx.response().writeContinue();
        }
        request.endHandler(done -> {
            ctx.vertx().cancelTimer(deadline);
            ctx.vertx().cancelTimer(idle[0]);
            if (failed[0]) {
                return;
            }
            if (type.startsWith("multipart/form-data") && !sawFile[0]) {
                refuse(ctx, 400, "the multipart form has no field 'file'");
                return;
            }
            Receiver.Body body;
            try {
                body = receiver.finish();
            } catch (UploadException e) {
                refuse(ctx, e.status(), e.getMessage());
                return;
            }
            Context context = ctx.vertx().getOrCreateContext();
            long ticket = variants.invalidation().ticket();
            blocking.run(context, () -> {
                Ingest.Stored stored = ingest.ingest(body);
                // The same bytes again, stored: an image deleted here comes back. Not before
                // the store has them, so a failed upload leaves a deleted image deleted.
                variants.invalidation().undelete(body.id());
                return stored;
            }).onSuccess(stored -> {
                metrics.uploaded(stored.created() ? "created" : "existing", stored.bytes());
                recent.add(stored);
                variants.remember(stored.id(), stored.info(), ticket);
                ctx.response().setStatusCode(stored.created() ? 201 : 200)
                        .putHeader("Content-Type", "application/json; charset=utf-8")
                        .putHeader("Cache-Control", "no-store")
                        .putHeader("Location", stored.url())
                        .end(json(stored).encode());
                if (stored.created()) {
                    eager.afterUpload(context, stored.id(), stored.info());
                }
            }).onFailure(failure -> {
                if (failure instanceof UploadException e) {
                    refuse(ctx, e.status(), e.getMessage());
                } else {
                    metrics.uploaded("failed", 0);
                    ctx.fail(failure);
                }
            });
        });
        request.resume();
    }

    /**
     * Answers with an error while the body may still be coming. The connection is closed so
     * the client stops sending, but not at once: closing a socket with unread data makes the
     * kernel send a reset that can destroy the answer before the client reads it. So the rest
     * is read and thrown away (never buffered) for a short while first, as nginx's lingering
     * close does.
     */
    private void refuse(RoutingContext ctx, int status, String message) {
        metrics.uploaded("refused-" + status, 0);
        HttpServerRequest request = ctx.request();
        if (!request.isEnded()) {
            request.handler(discarded -> { });
            request.uploadHandler(part -> part.handler(discarded -> { }));
            if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
                // HTTP/2 has no Connection header, and its flow control already bounds what
                // the client may send; other streams on the connection must live on.
                ctx.response().putHeader("Connection", "close");
                long timer = ctx.vertx().setTimer(LINGER_MILLIS, t -> request.connection().close());
                request.endHandler(done -> {
                    ctx.vertx().cancelTimer(timer);
                    request.connection().close();
                });
            } else {
                request.endHandler(done -> { });
            }
            request.resume();
        }
        ctx.fail(new HttpError(status, message));
    }

    /** {@code GET /images/<id>} (routed by prefix: the rest of the path is the id). */
    void describe(RoutingContext ctx) {
        if (signedOnly) {
            // A server that serves only signed URLs does not tell anyone which ids exist, or
            // how large they are: the metadata is for the backend that uploads.
            Admin.authorise(ctx.request(), token, "upload");
        }
        String id = ctx.request().path().substring("/images/".length());
        if (!ImageId.isValid(id)) {
            throw new HttpError(400, "invalid id: an image id is 16 to 64 lowercase hex characters");
        }
        ImageId imageId = new ImageId(id);
        // Through the same gate as a render: the original is read under the size cap and the
        // memory budget, shared with renders of it, and not read again while its header is known.
        Context context = ctx.vertx().getOrCreateContext();
        variants.inspect(context, imageId)
                .onSuccess(info -> placeholders.get(context, imageId).andThen(placeholder -> {
                    JsonObject body = json(new Ingest.Stored(imageId, info, info.bytes(), false));
                    body.remove("url");
                    // Without its placeholder (the pool was full, the thumbnail failed) the
                    // metadata still answers, but is not cached: the next GET makes it again.
                    if (placeholder.succeeded()) {
                        body.put("placeholder", placeholder.result().json());
                    } else {
                        LOG.log(Level.FINE, "no placeholder for " + imageId, placeholder.cause());
                    }
                    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8")
                            .putHeader("Cache-Control", placeholder.succeeded() ? Failures.BRIEFLY : "no-store")
                            .end(body.encode());
                }))
                .onFailure(ctx::fail);
    }

    static JsonObject json(Ingest.Stored stored) {
        return new JsonObject()
                .put("id", stored.id().value())
                .put("url", stored.url())
                .put("format", stored.info().format().extension())
                .put("width", stored.info().width())
                .put("height", stored.info().height())
                .put("frames", stored.info().pages())
                .put("duration_ms", stored.info().durationMillis())
                .put("bytes", stored.bytes());
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
