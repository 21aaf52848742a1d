package org.imgorigin.store;

/** The original store failed ({@link Kind#FAILED}, 502) or did not answer in time ({@link Kind#TIMEOUT}, 504). */
public final class StoreException extends Exception {
    public enum Kind { FAILED, TIMEOUT }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        this(kind, message, null);
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
