package org.imgorigin.url;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed URLs (the README's URL grammar): {@code s--<sig>--} where {@code <sig>} is the first 16
 * characters of the unpadded base64url HMAC-SHA256 of the rest of the path. Several keys
 * may be accepted at once so a key can be rotated without breaking published URLs; the
 * first one signs.
 */
public final class Signer {
    static final int LENGTH = 16;
    /** {@code [<cloud>/]image/upload/}, as {@link ImagePath} reads it (a cloud name never starts with s--). */
    private static final java.util.regex.Pattern CLOUDINARY_PREFIX =
            java.util.regex.Pattern.compile("(?:(?!s--)[a-z0-9_-]{1,64}/)?image/upload/");

    private final List<byte[]> keys;

    private Signer(List<byte[]> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one signing key is needed");
        }
        this.keys = keys;
    }

    /** Keys separated by commas, the signing key first; each must be at least 16 characters. */
    public static Signer of(String keys) {
        List<byte[]> parsed = java.util.Arrays.stream(keys.split(","))
                .map(String::strip)
                .filter(k -> !k.isEmpty())
                .peek(k -> {
                    if (k.length() < 16) {
                        throw new IllegalArgumentException("a signing key must be at least 16 characters");
                    }
                })
                .map(k -> k.getBytes(StandardCharsets.UTF_8))
                .toList();
        return new Signer(parsed);
    }

    /**
     * The signed form of a path (with or without its leading '/'): {@code /s--<sig>--/<path>},
     * or, for a path with Cloudinary's prefix, {@code /[<cloud>/]image/upload/s--<sig>--/<rest>}:
     * the signature stands after the prefix and covers what follows it ({@link ImagePath}).
     */
    public String sign(String path) {
        String rest = path.startsWith("/") ? path.substring(1) : path;
        var prefix = CLOUDINARY_PREFIX.matcher(rest);
        String before = prefix.lookingAt() ? rest.substring(0, prefix.end()) : "";
        rest = rest.substring(before.length());
        return "/" + before + "s--" + signature(keys.getFirst(), rest) + "--/" + rest;
    }

    /** True when the path carries a signature that one of the keys made, compared in constant time. */
    public boolean verify(ImagePath path) {
        Objects.requireNonNull(path, "path");
        if (path.signature().isEmpty()) {
            return false;
        }
        byte[] given = path.signature().get().getBytes(StandardCharsets.US_ASCII);
        boolean valid = false;
        for (byte[] key : keys) {
            byte[] expected = signature(key, path.signedPart()).getBytes(StandardCharsets.US_ASCII);
            // No early exit: each key costs the same whether or not an earlier one matched.
            valid |= MessageDigest.isEqual(expected, given);
        }
        return valid;
    }

    private static String signature(byte[] key, String signedPart) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal(signedPart.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is always available", e);
        }
    }
}
