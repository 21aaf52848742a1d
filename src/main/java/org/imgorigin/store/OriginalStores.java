package org.imgorigin.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Opens the original store that {@code IMGORIGIN_ORIGINALS} names. */
public final class OriginalStores {
    private OriginalStores() {
    }

    /**
     * The store for {@code IMGORIGIN_ORIGINALS}: {@code file:<dir>} (relative or absolute, or
     * {@code file:///abs}) or {@code s3://<bucket>[/<prefix>]}. The S3 arguments are read only
     * for the latter. Opening does not contact the store; {@link OriginalStore#check()} does.
     *
     * @throws IllegalArgumentException naming the variable whose value is wrong
     */
    public static OriginalStore open(String originalsUrl, Optional<String> s3Endpoint, String s3Region,
            boolean s3PathStyle) {
        Objects.requireNonNull(originalsUrl, "originalsUrl");
        if (originalsUrl.startsWith("s3://")) {
            return s3(S3Settings.parse(originalsUrl, s3Endpoint, s3Region, s3PathStyle));
        }
        if (originalsUrl.startsWith("file:")) {
            return file(fileRoot(originalsUrl));
        }
        throw new IllegalArgumentException(
                "IMGORIGIN_ORIGINALS must be file:<dir> or s3://<bucket>[/<prefix>], got '" + originalsUrl + "'");
    }

    /** Originals as files under {@code root}, which is created if missing. */
    public static OriginalStore file(Path root) {
        return FileStore.open(root);
    }

    /** Originals in S3, with credentials from the AWS default chain. */
    public static OriginalStore s3(S3Settings settings) {
        return S3Store.open(settings);
    }

    private static Path fileRoot(String originalsUrl) {
        try {
            // file:///srv/x is a URI; file:./data and file:/srv/x are the spec's plain form.
            Path root = originalsUrl.startsWith("file://")
                    ? Path.of(URI.create(originalsUrl))
                    : Path.of(originalsUrl.substring("file:".length()));
            if (root.toString().isEmpty()) {
                throw new IllegalArgumentException("no directory");
            }
            return root;
        } catch (IllegalArgumentException e) { // InvalidPathException is one too
            throw new IllegalArgumentException(
                    "IMGORIGIN_ORIGINALS must be file:<dir> with a directory, got '" + originalsUrl + "'", e);
        }
    }
}
