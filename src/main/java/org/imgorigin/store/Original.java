package org.imgorigin.store;

import java.util.Objects;

/** An original's bytes and the content type it was stored with ({@code application/octet-stream} if unknown). */
public record Original(byte[] bytes, String contentType) {
    public Original {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(contentType, "contentType");
    }
}
