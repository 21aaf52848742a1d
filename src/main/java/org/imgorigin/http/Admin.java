package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;

/**
 * The admin endpoints of the README's Endpoints section: {@code POST /admin/purge/<id>} removes an image's cached
 * variants on this node; {@code DELETE /images/<id>} removes the original too. ({@code POST /admin/eager/<id>}
 * is {@link EagerVariants}'.)
 */
final class Admin {
    private final Optional<String> token;
    private final Invalidation invalidation;
    private final Blocking blocking;
    private final Metrics metrics;

    Admin(Optional<String> token, Invalidation invalidation, Blocking blocking, Metrics metrics) {
        this.token = token;
        this.invalidation = invalidation;
        this.blocking = blocking;
        this.metrics = metrics;
    }

    /**
     * Every copy of the image on this node goes: variants, the local copy of the original, what
     * its header said. A purge reaches every node ({@code bin/imgorigin purge}), a delete only
     * the one asked, so a purge is also how the other nodes learn of a delete.
     */
    void purge(RoutingContext ctx) {
        ImageId id = authorisedId(ctx);
        Context context = ctx.vertx().getOrCreateContext();
        blocking.run(context, () -> invalidation.purge(id)).onSuccess(count -> {
            metrics.purged(count);
            ctx.response().putHeader("Content-Type", "application/json; charset=utf-8")
                    .putHeader("Cache-Control", "no-store")
                    .end(new JsonObject().put("purged", count).encode());
        }).onFailure(ctx::fail);
    }

    void delete(RoutingContext ctx) {
        ImageId id = authorisedId(ctx);
        Context context = ctx.vertx().getOrCreateContext();
        blocking.run(context, () -> invalidation.delete(id)).onSuccess(existed -> {
            if (!existed) {
                ctx.fail(HttpError.notFound("no image with id " + id));
                return;
            }
            ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end();
        }).onFailure(ctx::fail);
    }

    private ImageId authorisedId(RoutingContext ctx) {
        return authorisedId(ctx, token);
    }

    /** The {@code :id} of an admin request, once the request has shown the admin token. */
    static ImageId authorisedId(RoutingContext ctx, Optional<String> token) {
        authorise(ctx.request(), token, "admin");
        String id = ctx.pathParam("id");
        if (!ImageId.isValid(id)) {
            throw new HttpError(400, "invalid id: an image id is 16 to 64 lowercase hex characters");
        }
        return new ImageId(id);
    }

    /**
     * A bearer token when one is configured (compared in constant time); otherwise the client
     * must be on loopback and not be forwarded by a proxy, since behind nginx every request
     * comes from loopback.
     */
    static void authorise(HttpServerRequest request, Optional<String> token, String what) {
        if (token.isPresent()) {
            String header = request.getHeader("Authorization");
            if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new HttpError(401, what + " requests need an Authorization: Bearer token");
            }
            byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(given, token.get().getBytes(StandardCharsets.UTF_8))) {
                throw new HttpError(403, "wrong " + what + " token");
            }
            return;
        }
        boolean forwarded = request.getHeader("X-Forwarded-For") != null || request.getHeader("Forwarded") != null
                || request.getHeader("X-Real-IP") != null;
        if (forwarded || !isLoopback(request.remoteAddress() == null ? null : request.remoteAddress().hostAddress())) {
            throw new HttpError(403, "no " + what + " token is configured: " + what
                    + " requests are accepted only from loopback clients");
        }
    }

    private static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
