package org.imgorigin.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.store.S3Settings;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Signer;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;

/**
 * Everything SPEC section 2 lets an operator set, read in one place from the environment,
 * validated at start-up: a bad value stops the process with one line naming the variable.
 */
public record Config(
        int port,
        int workers,
        int queue,
        Originals originals,
        Cache cache,
        Optional<String> uploadToken,
        Optional<String> adminToken,
        Optional<Signer> signer,
        long maxUploadBytes,
        RenderLimits limits,
        Presets presets,
        java.util.List<Transformation> eager,
        boolean accessLog,
        java.time.Duration uploadBodyTimeout,
        java.time.Duration uploadIdleTimeout,
        long maxOriginalBytes,
        long originalsInFlightBytes,
        Connections connections) {

    /**
     * Bounds on client connections: the time a request head may take, the time a kept-alive
     * connection may sit idle, and how many connections may be open at once.
     */
    public record Connections(java.time.Duration headerTimeout, java.time.Duration keepAliveTimeout, int max) {
    }

    /**
     * Half the process's open-file limit (as the JVM raised it at start: the hard limit on
     * Linux), at most 10,000: the other half is left for cache files being sent, originals,
     * S3 sockets, jars and the JVM's own.
     */
    static int defaultMaxConnections() {
        long files = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 20_000;
        return (int) Math.max(64, Math.min(10_000, files / 2));
    }

    /** Where originals live: {@code file:<dir>} or {@code s3://bucket/prefix} with the S3 client settings. */
    public record Originals(String url, Optional<String> s3Endpoint, String s3Region, boolean s3PathStyle) {
    }

    /** The cache tiers' places and bounds. */
    public record Cache(Path dir, long maxBytes, long memoryBytes, long originalsBytes, Optional<String> accelPrefix) {
    }

    public static Config fromEnv(Map<String, String> vars) {
        Env env = new Env(vars);
        int cores = Runtime.getRuntime().availableProcessors();
        int port = env.integer("IMGORIGIN_PORT", 8080, 0, 65535);
        int workers = env.integer("IMGORIGIN_WORKERS", cores, 1, 1024);
        int queue = env.integer("IMGORIGIN_QUEUE", 8 * workers, 0, 1_000_000);

        String originalsUrl = env.string("IMGORIGIN_ORIGINALS").orElse("file:./data/originals");
        Optional<String> endpoint = env.string("IMGORIGIN_S3_ENDPOINT");
        String region = env.string("IMGORIGIN_S3_REGION").orElse("us-east-1");
        boolean pathStyle = env.bool("IMGORIGIN_S3_PATH_STYLE", false);
        if (!originalsUrl.startsWith("file:") && !originalsUrl.startsWith("s3://")) {
            throw new ConfigException("IMGORIGIN_ORIGINALS",
                    "must be file:<dir> or s3://<bucket>[/<prefix>], got '" + originalsUrl + "'");
        }
        if (originalsUrl.startsWith("s3://")) {
            try {
                S3Settings.parse(originalsUrl, endpoint, region, pathStyle);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("IMGORIGIN_ORIGINALS", e.getMessage());
            }
        }
        if (endpoint.isPresent()) {
            try {
                java.net.URI uri = java.net.URI.create(endpoint.get());
                if (uri.getScheme() == null || uri.getHost() == null) {
                    throw new IllegalArgumentException("no scheme or host");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("IMGORIGIN_S3_ENDPOINT", "must be a URL like http://127.0.0.1:9000, got '"
                        + endpoint.get() + "'");
            }
        }

        Optional<String> accel = env.string("IMGORIGIN_ACCEL_PREFIX");
        if (accel.isPresent() && (!accel.get().startsWith("/") || !accel.get().endsWith("/"))) {
            throw new ConfigException("IMGORIGIN_ACCEL_PREFIX", "must start and end with '/', e.g. /_cache/");
        }
        Cache cache = new Cache(
                Path.of(env.string("IMGORIGIN_CACHE_DIR").orElse("./data/cache")),
                env.size("IMGORIGIN_CACHE_MAX_BYTES", "10GiB"),
                env.size("IMGORIGIN_MEMORY_CACHE_BYTES", "256MB"),
                env.size("IMGORIGIN_ORIGINALS_CACHE_BYTES", "2GiB"),
                accel);

        long maxSourcePixels = env.longValue("IMGORIGIN_MAX_SOURCE_PIXELS", 50_000_000L, 1);
        int maxDimension = env.integer("IMGORIGIN_MAX_DIMENSION", 8192, 1, 65_535);
        long maxOutputPixels = env.longValue("IMGORIGIN_MAX_OUTPUT_PIXELS", 40_000_000L, 1);
        int avifEffort = env.integer("IMGORIGIN_AVIF_EFFORT", 2, 0, 9);
        java.time.Duration renderTimeout =
                java.time.Duration.ofSeconds(env.integer("IMGORIGIN_RENDER_TIMEOUT", 10, 1, 3_600));
        RenderLimits limits = new RenderLimits(maxSourcePixels, maxDimension, maxOutputPixels, avifEffort,
                renderTimeout);

        Presets presets;
        try {
            presets = env.string("IMGORIGIN_PRESETS").map(Presets::parse).orElse(Presets.NONE);
        } catch (RuntimeException e) {
            throw new ConfigException("IMGORIGIN_PRESETS", e.getMessage());
        }
        java.util.List<Transformation> eager;
        try {
            // SPEC's example, t_thumb,w_600, is a list: a preset and a width, two variants.
            // Separated by ';' instead, an entry may hold several parameters (t_thumb;f_png,w_50).
            eager = env.string("IMGORIGIN_EAGER")
                    .map(v -> java.util.Arrays.stream(v.split(v.contains(";") ? ";" : ","))
                            .map(String::strip).filter(s -> !s.isEmpty())
                            .map(s -> TransformationParser.parse(s, presets)).toList())
                    .orElse(java.util.List.of());
        } catch (RuntimeException e) {
            throw new ConfigException("IMGORIGIN_EAGER", e.getMessage());
        }

        long maxOriginalBytes = env.size("IMGORIGIN_MAX_ORIGINAL_BYTES", "100MB");
        if (maxOriginalBytes < 1 || maxOriginalBytes > Integer.MAX_VALUE - 16) {
            throw new ConfigException("IMGORIGIN_MAX_ORIGINAL_BYTES", "must be between 1 byte and 2GB");
        }

        Optional<Signer> signer;
        try {
            signer = env.string("IMGORIGIN_SIGNING_KEY").map(Signer::of);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("IMGORIGIN_SIGNING_KEY", e.getMessage());
        }

        return new Config(port, workers, queue,
                new Originals(originalsUrl, endpoint, region, pathStyle),
                cache,
                env.string("IMGORIGIN_UPLOAD_TOKEN"),
                env.string("IMGORIGIN_ADMIN_TOKEN"),
                signer,
                env.size("IMGORIGIN_MAX_UPLOAD_BYTES", "50MB"),
                limits, presets, eager,
                env.bool("IMGORIGIN_ACCESS_LOG", true),
                java.time.Duration.ofSeconds(env.integer("IMGORIGIN_UPLOAD_TIMEOUT", 120, 1, 86_400)),
                java.time.Duration.ofSeconds(env.integer("IMGORIGIN_UPLOAD_IDLE_TIMEOUT", 15, 1, 3_600)),
                maxOriginalBytes,
                // Originals held in memory for renders: a quarter of the heap, so that renders
                // of large originals cannot take the rest (one is always let in; see Sources).
                Runtime.getRuntime().maxMemory() / 4,
                new Connections(
                        java.time.Duration.ofSeconds(env.integer("IMGORIGIN_HEADER_TIMEOUT", 10, 1, 3_600)),
                        java.time.Duration.ofSeconds(env.integer("IMGORIGIN_KEEPALIVE_TIMEOUT", 75, 1, 3_600)),
                        env.integer("IMGORIGIN_MAX_CONNECTIONS", defaultMaxConnections(), 1, 10_000_000)));
    }
}
