package org.imgorigin.http;

/**
 * An answer that is not an image, with a status and a message safe to show the client.
 * Other layers' exceptions are translated into this in {@link Failures}, the one place that
 * maps errors to statuses.
 */
public final class HttpError extends RuntimeException {
    private final int status;

    public HttpError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static HttpError notFound(String what) {
        return new HttpError(404, what);
    }
}
