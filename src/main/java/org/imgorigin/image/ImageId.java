package org.imgorigin.image;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image's id: lowercase hex of the SHA-256 of its bytes (40 characters when imgorigin
 * assigns it; 16 to 64 accepted for buckets filled by other tools).
 */
public record ImageId(String value) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{16,64}");

    public ImageId {
        Objects.requireNonNull(value, "value");
        if (!HEX.matcher(value).matches()) {
            throw new IllegalArgumentException("an image id is 16 to 64 lowercase hex characters");
        }
    }

    public static boolean isValid(String value) {
        return value != null && HEX.matcher(value).matches();
    }

    /** The storage key of the README's Storage layout: {@code 3972/b1/3972b1…}, spreading ids over partitions. */
    public String storageKey() {
        return value.substring(0, 4) + "/" + value.substring(4, 6) + "/" + value;
    }

    @Override
    public String toString() {
        return value;
    }
}
