package org.imgorigin.vips;

/**
 * A libvips operation failed. {@link #getMessage()} is short and safe to show a client;
 * {@link #detail()} is libvips' own error text, for logs only (it can name paths and internals).
 */
public final class VipsException extends RuntimeException {
    private final String detail;

    public VipsException(String publicMessage, String detail) {
        super(publicMessage);
        this.detail = detail;
    }

    public String detail() {
        return detail;
    }
}
