package org.imgorigin.http;

import org.imgorigin.image.ImageId;

/**
 * An answer that is not an image, with a status and a message safe to show the client.
 * Other layers' exceptions are translated into this in {@link Failures}, the one place that
 * maps errors to statuses.
 */
public final class HttpError extends RuntimeException {
    private final int status;
    private final boolean aboutLayer;

    public HttpError(int status, String message) {
        this(status, message, false);
    }

    private HttpError(int status, String message, boolean aboutLayer) {
        super(message, null, false, false);
        this.status = status;
        this.aboutLayer = aboutLayer;
    }

    public int status() {
        return status;
    }

    static HttpError notFound(String what) {
        return new HttpError(404, what);
    }

    /** A layer ({@code l_}) names an image there is none of: a 404 that no {@code d_} stands in for. */
    static HttpError missingLayer(ImageId id) {
        return new HttpError(404, "no image with id " + id + " to draw as a layer (l_" + id + ")", true);
    }

    /** Whether this is {@link #missingLayer}'s. */
    boolean aboutLayer() {
        return aboutLayer;
    }
}
