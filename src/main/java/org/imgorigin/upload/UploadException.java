package org.imgorigin.upload;

/** An upload refused with a status and a message for the client. */
public final class UploadException extends Exception {
    private final int status;

    public UploadException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
