package org.imgorigin.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;

/**
 * One variant of one original: the id, the canonical transformation (auto forms already
 * resolved) and the output format. The only place that knows a variant's file name, cache
 * path and ETag, so equivalent URLs share all three.
 *
 * <p>A value class, equal by those three, rather than a record: a cache hit asks for the
 * file name, path and ETag several times, and they are worked out once per key.
 */
public final class VariantKey {
    /**
     * Bumped when the renderer's output for the same key changes (a new libvips, a new
     * default quality), so clients and CDNs holding old bytes get new ETags.
     */
    static final String RENDER_GENERATION = "2";

    private final ImageId id;
    private final String transformation;
    private final ImageFormat format;
    // Worked out on first use. Racing threads may each work one out: Strings are immutable,
    // so either is safe to see, and they are equal.
    private String fileName;
    private String relativePath;
    private String etag;

    public VariantKey(ImageId id, String transformation, ImageFormat format) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(transformation, "transformation");
        Objects.requireNonNull(format, "format");
        if (!format.writable()) {
            throw new IllegalArgumentException("not an output format: " + format);
        }
        this.id = id;
        this.transformation = transformation;
        this.format = format;
    }

    public ImageId id() {
        return id;
    }

    public String transformation() {
        return transformation;
    }

    public ImageFormat format() {
        return format;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VariantKey k && id.equals(k.id) && transformation.equals(k.transformation)
                && format == k.format;
    }

    @Override
    public int hashCode() {
        return (id.hashCode() * 31 + transformation.hashCode()) * 31 + format.hashCode();
    }

    @Override
    public String toString() {
        return relativePath();
    }

    /** File names are at most 255 bytes on Linux file systems; keep well under. */
    static final int MAX_READABLE_NAME = 200;

    /**
     * The file name inside the image's cache directory: {@code w_300,q_80.webp}, or
     * {@code original.webp}; a transformation too long for a file name (presets and effects
     * can make one) is named by its digest instead, {@code t-<32 hex>.webp}. The {@code /} between
     * chained stages is written {@code ~}, which the URL grammar never uses:
     * {@code c_fill,h_200,w_200~e_blur:300.webp}.
     */
    public String fileName() {
        if (fileName == null) {
            String name = (transformation.isEmpty() ? "original" : transformation.replace('/', '~')) + "."
                    + format.extension();
            fileName = name.length() <= MAX_READABLE_NAME ? name
                    : "t-" + hex(sha256(transformation)).substring(0, 32) + "." + format.extension();
        }
        return fileName;
    }

    /** The path under the cache root: {@code 3972/b1/<id>/w_300,q_80.webp} (the README's Storage layout). */
    public String relativePath() {
        if (relativePath == null) {
            relativePath = id.storageKey() + "/" + fileName();
        }
        return relativePath;
    }

    /**
     * Hot variants ask for their ETag on every hit; a SHA-256 each time was a visible share
     * of a hit's CPU. Keys are values, so the digest is remembered per key (bounded).
     */
    private static final com.github.benmanes.caffeine.cache.Cache<String, String> ETAGS =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).build();

    /** A strong ETag: a digest of the key, stable across nodes and restarts. */
    public String etag() {
        if (etag == null) {
            etag = ETAGS.get(relativePath(), VariantKey::digest);
        }
        return etag;
    }

    private static String digest(String relativePath) {
        return "\"" + hex(sha256(RENDER_GENERATION + "|" + relativePath)).substring(0, 32) + "\"";
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
