package org.imgorigin.render;

/**
 * A render that cannot succeed: the status and message are for the client (400 for an
 * impossible request, 415 for bytes that are no image format we read, 422 for an image
 * libvips cannot decode or one over the pixel limit); {@link #detail()} is for logs.
 */
public final class RenderException extends Exception {
    private final int status;
    private final String detail;

    public RenderException(int status, String publicMessage, String detail) {
        super(publicMessage);
        this.status = status;
        this.detail = detail;
    }

    public int status() {
        return status;
    }

    public String detail() {
        return detail;
    }
}
