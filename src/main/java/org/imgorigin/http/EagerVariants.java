package org.imgorigin.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.VariantKey;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationPrinter;
import org.imgorigin.vips.Vips;

/**
 * An upload's {@code IMGORIGIN_EAGER} variants: which they are, and where they are rendered.
 * On one node, here, right after the upload. In a cluster the balancer sends the upload to a
 * random node but every later request for the image to the node that owns its id, so with
 * {@code IMGORIGIN_EAGER_VIA} the set is handed to that node instead: one
 * {@code POST /admin/eager/<id>} through the balancer, which hashes it by the id like every
 * image URL; the owner answers 202 once the store has the image (before any render) and
 * renders the set from one decode. If the hand-off fails, the set is rendered here as without
 * the setting. The endpoint only ever renders locally, so a hand-off never travels twice.
 */
final class EagerVariants {
    private static final Logger LOG = Logger.getLogger(EagerVariants.class.getName());
    /** The whole hand-off, connection to answer: the owner answers after one existence check. */
    static final long HANDOFF_TIMEOUT_MILLIS = 5_000;

    private final List<Transformation> eager;
    private final Variants variants;
    private final Sources sources;
    private final Blocking blocking;
    private final Metrics metrics;
    private final Optional<String> adminToken;
    /** The balancer's base URL and a client to reach it, with {@code IMGORIGIN_EAGER_VIA}. */
    private final Optional<URI> via;
    private final Optional<HttpClient> client;

    EagerVariants(List<Transformation> eager, Variants variants, Sources sources, Blocking blocking, Metrics metrics,
            Optional<String> adminToken, Optional<URI> via, Optional<HttpClient> client) {
        if (via.isPresent() && (client.isEmpty() || adminToken.isEmpty())) {
            throw new IllegalArgumentException("a hand-off needs a client and the admin token");
        }
        this.eager = List.copyOf(eager);
        this.variants = variants;
        this.sources = sources;
        this.blocking = blocking;
        this.metrics = metrics;
        this.adminToken = adminToken;
        this.via = via;
        this.client = client;
    }

    /**
     * After a new upload has been answered: the set, rendered by the id's owner or here.
     * Nothing waits for it; failures are logged and counted, never reported to the uploader.
     */
    void afterUpload(Context context, ImageId id, SourceInfo info) {
        if (eager.stream().allMatch(t -> t.withFormat(Optional.empty()).needsNegotiation())) {
            return; // none, or only w_auto/dpr_auto ones: nothing to render ahead, here or there
        }
        if (via.isEmpty()) {
            renderHere(context, id, info);
            return;
        }
        URI url = URI.create(via.get() + "/admin/eager/" + id.value());
        handOff(context, url).onComplete(answer -> {
            if (answer.succeeded() && answer.result() / 100 == 2) {
                metrics.eagerHandoff("accepted");
                return;
            }
            String why = answer.succeeded() ? "answered " + answer.result() : answer.cause().toString();
            metrics.eagerHandoff(answer.succeeded() ? "refused" : "failed");
            LOG.warning(() -> "eager hand-off POST " + url + " " + why + ": rendering the eager variants here");
            renderHere(context, id, info);
        });
    }

    /**
     * The status of {@code POST url}, within {@link #HANDOFF_TIMEOUT_MILLIS} (the body is
     * dropped), on a virtual thread; the answer comes back on {@code context}.
     */
    private Future<Integer> handOff(Context context, URI url) {
        HttpRequest request = HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofMillis(HANDOFF_TIMEOUT_MILLIS))
                .header("Authorization", "Bearer " + adminToken.orElseThrow()).build();
        return blocking.run(context, () -> client.orElseThrow()
                .send(request, HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    /**
     * {@code POST /admin/eager/<id>} (admin): renders the image's eager set on this node and
     * never forwards it. 202 once the store has the image, before any render; 404 when it
     * does not; 409 when this node has no {@code IMGORIGIN_EAGER} (the nodes' settings
     * differ: the sender renders the set itself then).
     */
    void handle(RoutingContext ctx) {
        ImageId id = Admin.authorisedId(ctx, adminToken);
        if (eager.isEmpty()) {
            throw new HttpError(409, "this node has no IMGORIGIN_EAGER: there are no eager variants to render");
        }
        Context context = ctx.vertx().getOrCreateContext();
        // Deletes go to the id's owner, uploads anywhere: an image deleted here and uploaded
        // again through another node is known here only once the store is asked.
        blocking.run(context, () -> variants.invalidation().liftIfBack(id))
                .compose(deleted -> variants.exists(context, id)).onSuccess(exists -> {
            if (!exists) {
                ctx.fail(HttpError.notFound("no image with id " + id));
                return;
            }
            ctx.response().setStatusCode(202)
                    .putHeader("Content-Type", "application/json; charset=utf-8")
                    .putHeader("Cache-Control", "no-store")
                    .end(new JsonObject().put("accepted", id.value()).encode());
            // The original is held until the set is rendered, so the set reads it once.
            sources.acquire(context, id).onSuccess(lease -> {
                List<Future<byte[]>> made = renderHere(context, id, lease.source().info());
                Future.join(made).onComplete(done -> lease.close());
            }).onFailure(e -> {
                metrics.eager("failed");
                LOG.log(Level.WARNING, "eager variants of " + id + " not rendered: " + e.getMessage());
            });
        }).onFailure(ctx::fail);
    }

    /**
     * Renders the set here, each in its {@code f_} format, or else in the formats visitors
     * most likely get: the original's (URLs without extension), WebP, AVIF and JPEG XL
     * ({@code f_auto}). All of them from one decode of the original where they can be
     * ({@link Variants#produceMany}).
     */
    private List<Future<byte[]>> renderHere(Context context, ImageId id, SourceInfo info) {
        variants.expectMany(id);
        List<VariantKey> keys = new ArrayList<>();
        List<Transformation> transformations = new ArrayList<>();
        for (Transformation t : eager) {
            List<ImageFormat> formats = new ArrayList<>();
            if (t.format().isPresent() && t.format().get() instanceof Transformation.FormatChoice.Fixed f) {
                formats.add(f.format());
            } else {
                formats.add(info.format().writable() ? info.format() : ImageFormat.JPEG);
                formats.add(ImageFormat.WEBP);
                if (!info.animated()) { // f_auto gives an animation WebP or GIF, never AVIF or JPEG XL
                    formats.add(ImageFormat.AVIF);
                    if (Vips.writesJpegXl()) {
                        formats.add(ImageFormat.JXL);
                    }
                }
            }
            Transformation resolved = t.withFormat(Optional.empty());
            if (resolved.needsNegotiation()) {
                continue; // w_auto/dpr_auto depend on a visitor's hints: nothing to render ahead
            }
            for (ImageFormat format : formats.stream().distinct().toList()) {
                VariantKey key = new VariantKey(id, TransformationPrinter.print(resolved), format);
                if (!keys.contains(key)) {
                    keys.add(key);
                    transformations.add(resolved);
                }
            }
        }
        if (keys.isEmpty()) {
            return List.of();
        }
        List<Future<byte[]>> made = variants.produceMany(context, keys, transformations);
        for (int i = 0; i < keys.size(); i++) {
            VariantKey key = keys.get(i);
            made.get(i).onSuccess(bytes -> metrics.eager("ok")).onFailure(e -> {
                metrics.eager("failed");
                LOG.log(Level.WARNING, "eager variant " + key.relativePath() + " failed: " + e.getMessage());
            });
        }
        return made;
    }
}
