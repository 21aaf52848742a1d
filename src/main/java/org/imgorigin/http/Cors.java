package org.imgorigin.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * The one place that decides cross-origin grants (README, "Responses"; docs/security.md).
 *
 * <p>Image answers (200, 304, HEAD, errors) carry {@code Access-Control-Allow-Origin} from
 * {@code IMGORIGIN_ALLOW_ORIGIN} — {@code *} by default, or the request's {@code Origin} when it
 * is in the configured list, with {@code Vary: Origin} then — {@code Timing-Allow-Origin}
 * ({@code *} or the whole list), and {@code Cross-Origin-Resource-Policy: cross-origin}, so that cross-origin-isolated pages
 * may embed them. Uploads ({@code POST /images}) are granted only to the origins of
 * {@code IMGORIGIN_UPLOAD_ORIGINS}. Nothing else — admin endpoints, metrics, analytics, image
 * metadata, deletes — is ever granted: those routes never call this class.
 */
public final class Cors {
    static final CharSequence ALLOW_ORIGIN = HttpHeaders.createOptimized("Access-Control-Allow-Origin");
    static final CharSequence TIMING_ALLOW_ORIGIN = HttpHeaders.createOptimized("Timing-Allow-Origin");
    static final CharSequence RESOURCE_POLICY = HttpHeaders.createOptimized("Cross-Origin-Resource-Policy");
    private static final CharSequence CROSS_ORIGIN = HttpHeaders.createOptimized("cross-origin");
    private static final CharSequence STAR = HttpHeaders.createOptimized("*");
    private static final CharSequence ORIGIN = HttpHeaders.createOptimized("Origin");
    private static final CharSequence VARY = HttpHeaders.createOptimized("Vary");
    /** The request headers an image request may carry beyond the CORS-safelisted ones: client hints. */
    static final String IMAGE_REQUEST_HEADERS = "Accept, DPR, Width, Viewport-Width, Save-Data, Sec-CH-DPR, "
            + "Sec-CH-Width, Sec-CH-Viewport-Width, Sec-CH-UA-Mobile";
    /** A day; browsers cap it lower (Chromium: 2 hours). */
    static final String MAX_AGE = "86400";

    private final boolean anyOrigin;
    private final Set<String> imageOrigins;
    /** {@code *}, or the whole list: Timing-Allow-Origin takes a list, and needs no Origin to choose from. */
    private final CharSequence timingAllowOrigin;
    private final Set<String> uploadOrigins;

    /**
     * @param imageOrigins {@code ["*"]}, or the origins that may read images
     * @param uploadOrigins the origins whose pages may upload (possibly none)
     */
    public Cors(List<String> imageOrigins, List<String> uploadOrigins) {
        this.anyOrigin = imageOrigins.equals(List.of("*"));
        this.imageOrigins = Set.copyOf(imageOrigins);
        this.timingAllowOrigin = HttpHeaders.createOptimized(String.join(", ", imageOrigins));
        this.uploadOrigins = Set.copyOf(uploadOrigins);
    }

    /** True when an image answer depends on the request's Origin (a list, not {@code *}). */
    boolean variesOnOrigin() {
        return !anyOrigin;
    }

    /**
     * The grants of an image answer, set before anything can fail so that errors carry them too
     * (a script must be able to read why an image failed). With a list, {@code Vary: Origin} is
     * set here, and the image's own Vary is appended to it ({@link ImageHandler}).
     */
    void image(HttpServerRequest request, HttpServerResponse response) {
        response.putHeader(RESOURCE_POLICY, CROSS_ORIGIN).putHeader(TIMING_ALLOW_ORIGIN, timingAllowOrigin);
        if (anyOrigin) {
            response.putHeader(ALLOW_ORIGIN, STAR);
            return;
        }
        // A plain <img> sends no Origin: the timing grant is the whole list, the same for every
        // request, so that such a page still sees its images' timings.
        response.putHeader(VARY, ORIGIN);
        String origin = request.getHeader(ORIGIN);
        if (origin != null && imageOrigins.contains(origin)) {
            response.putHeader(ALLOW_ORIGIN, origin);
        }
    }

    /** {@code OPTIONS} on an image path: a preflight for GET and HEAD with client hints. */
    void imagePreflight(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        image(ctx.request(), response);
        response.setStatusCode(204)
                .putHeader("Allow", "GET, HEAD, OPTIONS")
                .putHeader("Access-Control-Allow-Methods", "GET, HEAD")
                .putHeader("Access-Control-Allow-Headers", IMAGE_REQUEST_HEADERS)
                .putHeader("Access-Control-Max-Age", MAX_AGE)
                .putHeader("Cache-Control", "public, max-age=" + MAX_AGE)
                .end();
    }

    /** Whether the request comes from a page on an origin that may upload. */
    private boolean uploadAllowed(HttpServerRequest request) {
        String origin = request.getHeader(ORIGIN);
        return origin != null && uploadOrigins.contains(origin);
    }

    /**
     * A request without Origin (a backend, curl), from a page on an upload origin, or from this
     * server's own home page (browsers send Origin on every POST, same-origin ones too; the
     * host, not the scheme, is compared, since TLS may end at a proxy in front).
     */
    boolean uploadOriginAllowed(HttpServerRequest request) {
        String origin = request.getHeader(ORIGIN);
        if (origin == null || uploadAllowed(request)) {
            return true;
        }
        int scheme = origin.indexOf("://");
        String host = request.getHeader("Host");
        return scheme > 0 && host != null && origin.substring(scheme + 3).equalsIgnoreCase(host);
    }

    /**
     * The grant of a {@code POST /images} answer (success or error alike): the page's origin
     * when it is in {@code IMGORIGIN_UPLOAD_ORIGINS}, nothing otherwise. The page may read the
     * answer's Location.
     */
    void upload(HttpServerRequest request, HttpServerResponse response) {
        if (uploadOrigins.isEmpty()) {
            return;
        }
        response.putHeader(VARY, ORIGIN);
        if (uploadAllowed(request)) {
            response.putHeader(ALLOW_ORIGIN, request.getHeader(ORIGIN))
                    .putHeader("Access-Control-Expose-Headers", "Location");
        }
    }

    /**
     * {@code OPTIONS /images}: 204 with the grant for a listed origin; a 403 without any grant
     * otherwise, which the browser takes as a refusal.
     */
    void uploadPreflight(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (!uploadAllowed(request)) {
            ctx.response().putHeader(VARY, ORIGIN);
            ctx.fail(new HttpError(403, uploadOrigins.isEmpty()
                    ? "no origin may upload from a browser (IMGORIGIN_UPLOAD_ORIGINS is not set)"
                    : "this origin may not upload (not in IMGORIGIN_UPLOAD_ORIGINS)"));
            return;
        }
        ctx.response().setStatusCode(204)
                .putHeader(VARY, ORIGIN)
                .putHeader(ALLOW_ORIGIN, request.getHeader(ORIGIN))
                .putHeader("Allow", "POST, OPTIONS")
                .putHeader("Access-Control-Allow-Methods", "POST")
                .putHeader("Access-Control-Allow-Headers", "Content-Type")
                .putHeader("Access-Control-Max-Age", "600")
                .putHeader("Cache-Control", "no-store")
                .end();
    }
}
