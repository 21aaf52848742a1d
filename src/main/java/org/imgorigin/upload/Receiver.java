package org.imgorigin.upload;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;

/**
 * An upload's body as it streams in: hashed chunk by chunk, its format sniffed from the first
 * bytes, and refused the moment it crosses the size limit, so a hostile client costs at most
 * the limit in memory. Not thread-safe: one per request, fed from its event loop.
 */
public final class Receiver {
    /** Enough for every signature {@link ImageFormat#sniff} knows. */
    static final int SNIFF_BYTES = 16;

    private final long maxBytes;
    private final MessageDigest sha256;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
    private Optional<ImageFormat> format = Optional.empty();
    private boolean sniffed;

    public Receiver(long maxBytes) {
        this.maxBytes = maxBytes;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /** Takes the next chunk; throws as soon as the body is too large or is no image we read. */
    public void append(byte[] chunk) throws UploadException {
        if ((long) body.size() + chunk.length > maxBytes) {
            throw new UploadException(413, "upload is larger than the limit of " + maxBytes + " bytes");
        }
        body.writeBytes(chunk);
        sha256.update(chunk);
        if (!sniffed && body.size() >= SNIFF_BYTES) {
            sniff();
        }
    }

    /** The whole body, checked: not empty, an image format imgorigin reads. */
    public Body finish() throws UploadException {
        if (body.size() == 0) {
            throw new UploadException(400, "the upload is empty");
        }
        if (!sniffed) {
            sniff();
        }
        String hex = HexFormat.of().formatHex(sha256.digest());
        return new Body(new ImageId(hex.substring(0, 40)), body.toByteArray(), format.orElseThrow());
    }

    public long received() {
        return body.size();
    }

    private void sniff() throws UploadException {
        sniffed = true;
        byte[] head = Arrays.copyOf(body.toByteArray(), Math.min(body.size(), SNIFF_BYTES));
        format = ImageFormat.sniff(head);
        if (format.isEmpty() && ImageFormat.isJpegXl(head)) {
            throw new UploadException(415, "JPEG XL is an output format only: imgorigin does not read it"
                    + " (libvips marks its JPEG XL loader untrusted); upload JPEG, PNG, WebP, GIF, AVIF/HEIF or TIFF");
        }
        if (format.isEmpty()) {
            throw new UploadException(415,
                    "not an image format imgorigin reads (JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF)");
        }
    }

    /** A complete upload: its id (the first 40 hex characters of its SHA-256), bytes and sniffed format. */
    public record Body(ImageId id, byte[] bytes, ImageFormat format) {
    }
}
