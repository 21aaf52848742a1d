package org.imgorigin.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@code s3://} store points.
 *
 * @param bucket    the bucket name
 * @param prefix    the key prefix without leading or trailing slash ({@code "a/b"}), or
 *                  {@code ""} for keys at the bucket's root
 * @param endpoint  an S3-compatible endpoint (MinIO, S3Proxy, LocalStack); empty for AWS
 * @param region    the signing region
 * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key};
 *                  most self-hosted stores need it
 */
public record S3Settings(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle) {

    /** Validates; messages name the environment variable the bad value came from. */
    public S3Settings {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        if (bucket.isEmpty() || bucket.contains("/") || bucket.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("IMGORIGIN_ORIGINALS: bad S3 bucket name '" + bucket + "'");
        }
        if (prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("IMGORIGIN_ORIGINALS: bad S3 key prefix '" + prefix
                    + "' (no leading, trailing or doubled slashes)");
        }
        if (region.isBlank()) {
            throw new IllegalArgumentException("IMGORIGIN_S3_REGION is empty");
        }
        endpoint.ifPresent(uri -> {
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "IMGORIGIN_S3_ENDPOINT must be an http:// or https:// URL with a host, got '" + uri + "'");
            }
        });
    }

    /**
     * Reads {@code s3://<bucket>[/<prefix>]}, the S3 form of {@code IMGORIGIN_ORIGINALS}. A
     * trailing slash is allowed ({@code s3://b/p/} is prefix {@code p}).
     *
     * @throws IllegalArgumentException naming the variable whose value is wrong
     */
    public static S3Settings parse(String originalsUrl, Optional<String> endpoint, String region, boolean pathStyle) {
        Objects.requireNonNull(originalsUrl, "originalsUrl");
        if (!originalsUrl.startsWith("s3://")) {
            throw new IllegalArgumentException(
                    "IMGORIGIN_ORIGINALS must look like s3://<bucket>[/<prefix>], got '" + originalsUrl + "'");
        }
        // Parsed by hand rather than with URI: bucket names that S3-compatible stores accept
        // (underscores, for one) are not valid URI hosts.
        String rest = originalsUrl.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : stripTrailingSlashes(rest.substring(slash + 1));
        return new S3Settings(bucket, prefix, endpoint.map(S3Settings::endpointUri), region, pathStyle);
    }

    /** The object key of a storage key, under the prefix. */
    String key(String storageKey) {
        return prefix.isEmpty() ? storageKey : prefix + "/" + storageKey;
    }

    /** {@code s3://bucket/prefix}, for logs. */
    String url() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    private static URI endpointUri(String value) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("IMGORIGIN_S3_ENDPOINT is not a URL: '" + value + "'", e);
        }
    }

    private static String stripTrailingSlashes(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(0, end);
    }
}
