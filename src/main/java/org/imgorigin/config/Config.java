package org.imgorigin.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.store.S3Settings;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationPrinter;
import org.imgorigin.url.Signer;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;

/**
 * Everything the README's Configuration lets an operator set, read in one place from the environment,
 * validated at start-up: a bad value stops the process with one line naming the variable.
 */
public record Config(
        String host,
        int port,
        int workers,
        int queue,
        int burst,
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
        Connections connections,
        java.util.List<String> allowOrigins,
        java.util.List<String> uploadOrigins,
        Optional<java.net.URI> eagerVia) {

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

    /**
     * Where originals live: {@code file:<dir>} or {@code s3://bucket/prefix} with the S3 client
     * settings; and how often the store's journal of deletes is read.
     */
    public record Originals(String url, Optional<String> s3Endpoint, String s3Region, boolean s3PathStyle,
            java.time.Duration journalInterval) {
    }

    /** The cache tiers' places and bounds. */
    public record Cache(Path dir, long maxBytes, long memoryBytes, long originalsBytes, Optional<String> accelPrefix,
            int mezzanineEdge, long mezzanineMemoryBytes) {
    }

    public static Config fromEnv(Map<String, String> vars) {
        Env env = new Env(vars);
        int cores = Runtime.getRuntime().availableProcessors();
        String host = host(env.string("IMGORIGIN_HOST").orElse("0.0.0.0"));
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
                accel,
                env.integer("IMGORIGIN_MEZZANINE", 3072, 0, 16_384),
                env.size("IMGORIGIN_MEZZANINE_MEMORY_BYTES", "256MB"));

        long maxSourcePixels = env.longValue("IMGORIGIN_MAX_SOURCE_PIXELS", 50_000_000L, 1);
        int maxDimension = env.integer("IMGORIGIN_MAX_DIMENSION", 8192, 1, 65_535);
        long maxOutputPixels = env.longValue("IMGORIGIN_MAX_OUTPUT_PIXELS", 40_000_000L, 1);
        int avifEffort = env.integer("IMGORIGIN_AVIF_EFFORT", 2, 0, 9);
        java.time.Duration renderTimeout =
                java.time.Duration.ofSeconds(env.integer("IMGORIGIN_RENDER_TIMEOUT", 10, 1, 3_600));
        int maxFrames = env.integer("IMGORIGIN_MAX_FRAMES", RenderLimits.DEFAULT_MAX_FRAMES, 1, 100_000);
        RenderLimits limits = new RenderLimits(maxSourcePixels, maxDimension, maxOutputPixels, avifEffort,
                renderTimeout, maxFrames);

        Presets presets;
        try {
            presets = env.string("IMGORIGIN_PRESETS").map(Presets::parse).orElse(Presets.NONE);
        } catch (RuntimeException e) {
            throw new ConfigException("IMGORIGIN_PRESETS", e.getMessage());
        }
        Optional<String> watermark = env.string("IMGORIGIN_WATERMARK").filter(v -> !v.isBlank());
        java.util.Set<String> unmarked = env.string("IMGORIGIN_WATERMARK_SKIP_PRESETS")
                .map(v -> java.util.Arrays.stream(v.split(",")).map(String::strip).filter(n -> !n.isEmpty())
                        .collect(java.util.stream.Collectors.toSet()))
                .orElse(java.util.Set.of());
        if (watermark.isEmpty() && !unmarked.isEmpty()) {
            throw new ConfigException("IMGORIGIN_WATERMARK_SKIP_PRESETS", "names presets left unmarked, but "
                    + "IMGORIGIN_WATERMARK is not set");
        }
        if (watermark.isPresent()) {
            try {
                presets = presets.withWatermark(watermark.get(), unmarked);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage().startsWith("no preset named")
                        ? "IMGORIGIN_WATERMARK_SKIP_PRESETS" : "IMGORIGIN_WATERMARK", e.getMessage());
            }
        }
        Presets marking = presets;
        java.util.List<Transformation> eager;
        try {
            // The README's example, t_thumb,w_600, is a list: a preset and a width, two variants.
            // Separated by ';' instead, an entry may hold several parameters (t_thumb;f_png,w_50).
            eager = env.string("IMGORIGIN_EAGER")
                    .map(v -> java.util.Arrays.stream(v.split(v.contains(";") ? ";" : ","))
                            .map(String::strip).filter(s -> !s.isEmpty())
                            .map(s -> {
                                Transformation t = TransformationParser.parse(s, marking);
                                tooLarge(t, maxDimension).ifPresent(side -> {
                                    throw new IllegalArgumentException("'" + TransformationPrinter.print(t)
                                            + "' asks for a " + side + ", over IMGORIGIN_MAX_DIMENSION ("
                                            + maxDimension + "): every render of it would fail");
                                });
                                // w_auto entries are skipped at upload; the rest (f_auto ones too) are marked here.
                                return t.width().orElse(null) instanceof Transformation.Length.Auto
                                        || !marking.marks(java.util.List.of(s)) ? t : marking.mark(t);
                            })
                            .toList())
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

        for (var preset : presets.byName().entrySet()) {
            tooLarge(preset.getValue(), maxDimension).ifPresent(side -> {
                throw new ConfigException("IMGORIGIN_PRESETS", "preset '" + preset.getKey() + "' asks for a " + side
                        + ", over IMGORIGIN_MAX_DIMENSION (" + maxDimension + "): every request for it would fail");
            });
        }
        for (Transformation t : eager) {
            tooLarge(t, maxDimension).ifPresent(side -> {
                throw new ConfigException("IMGORIGIN_EAGER", "'" + org.imgorigin.url.TransformationPrinter.print(t)
                        + "' asks for a " + side + ", over IMGORIGIN_MAX_DIMENSION (" + maxDimension
                        + "): every render of it would fail");
            });
        }

        java.util.List<String> allowOrigins = env.string("IMGORIGIN_ALLOW_ORIGIN")
                .map(v -> origins("IMGORIGIN_ALLOW_ORIGIN", v, true)).orElse(java.util.List.of("*"));
        java.util.List<String> uploadOrigins = env.string("IMGORIGIN_UPLOAD_ORIGINS")
                .map(v -> origins("IMGORIGIN_UPLOAD_ORIGINS", v, false)).orElse(java.util.List.of());
        if (!uploadOrigins.isEmpty() && env.string("IMGORIGIN_UPLOAD_TOKEN").isEmpty()) {
            throw new ConfigException("IMGORIGIN_UPLOAD_ORIGINS", "needs IMGORIGIN_UPLOAD_TOKEN: browsers upload"
                    + " through URLs signed with it (bin/imgorigin sign-upload)");
        }

        // Without IMGORIGIN_EAGER there is nothing to hand off, and the setting does nothing: a
        // fleet's shared settings (docker/compose.yaml) may name the balancer either way.
        Optional<java.net.URI> eagerVia = env.string("IMGORIGIN_EAGER_VIA").map(Config::balancer);
        if (eagerVia.isPresent() && env.string("IMGORIGIN_ADMIN_TOKEN").isEmpty()) {
            throw new ConfigException("IMGORIGIN_EAGER_VIA", "needs IMGORIGIN_ADMIN_TOKEN, the same on every node:"
                    + " the hand-off is an admin request, and through the balancer it is not from loopback");
        }

        return new Config(host, port, workers, queue, env.integer("IMGORIGIN_BURST", 8, 1, 64),
                new Originals(originalsUrl, endpoint, region, pathStyle,
                        java.time.Duration.ofSeconds(env.integer("IMGORIGIN_JOURNAL_INTERVAL", 10, 1, 3_600))),
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
                        env.integer("IMGORIGIN_MAX_CONNECTIONS", defaultMaxConnections(), 1, 10_000_000)),
                allowOrigins, uploadOrigins, eagerVia);
    }

    /**
     * The balancer's base URL for {@code IMGORIGIN_EAGER_VIA}: {@code http} or {@code https},
     * a host, a port if need be, and nothing after it (a trailing '/' is dropped), since the
     * hand-off's path is appended to it.
     */
    static java.net.URI balancer(String value) {
        String trimmed = value.strip().endsWith("/") ? value.strip().substring(0, value.strip().length() - 1)
                : value.strip();
        try {
            java.net.URI uri = new java.net.URI(trimmed);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getRawPath().isEmpty() && uri.getRawQuery() == null && uri.getRawFragment() == null
                    && uri.getRawUserInfo() == null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // refused below, with the same message as any other bad value
        }
        throw new ConfigException("IMGORIGIN_EAGER_VIA", "must be the balancer's base URL, scheme://host[:port]"
                + " with no path, e.g. http://balancer:80, got '" + value + "'");
    }

    /**
     * A comma-separated list of origins as browsers send them in {@code Origin}: a scheme
     * ({@code http} or {@code https}), a lowercase host and a port only when it is not the
     * scheme's default, with no path and no trailing slash; or, where {@code star} allows it,
     * {@code *} alone. Anything else is refused: an origin written another way would never
     * match what a browser sends, and the pages it was meant for would quietly be refused.
     */
    static java.util.List<String> origins(String variable, String value, boolean star) {
        java.util.List<String> list = java.util.Arrays.stream(value.split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).distinct().toList();
        if (star && list.equals(java.util.List.of("*"))) {
            return list;
        }
        for (String origin : list) {
            if (origin.equals("*")) {
                throw new ConfigException(variable, star ? "'*' stands alone, not in a list of origins"
                        : "must list origins; '*' is not allowed here");
            }
            var m = ORIGIN.matcher(origin);
            if (!m.matches()) {
                throw new ConfigException(variable, "'" + origin + "' is not an origin: write scheme://host[:port]"
                        + " in lower case, with no path or trailing slash, e.g. https://www.example.com");
            }
            String port = m.group(3);
            if (port != null && (Integer.parseInt(port) > 65535 || port.startsWith("0")
                    || (m.group(1).equals("http") && port.equals("80"))
                    || (m.group(1).equals("https") && port.equals("443")))) {
                throw new ConfigException(variable, "'" + origin + "': the port must be 1-65535 and left out when it"
                        + " is the scheme's default, as browsers send it");
            }
        }
        return list;
    }

    private static final java.util.regex.Pattern ORIGIN = java.util.regex.Pattern.compile(
            "(https?)://([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\\[[0-9a-f:.]+\\])"
                    + "(?::(\\d{1,5}))?");

    /**
     * The bind address: an IPv4 literal (four dotted decimals), an IPv6 literal (brackets
     * optional), or {@code localhost}, taken as 127.0.0.1. A host name is refused rather than
     * looked up: which address it resolves to could change under a running server, and no DNS
     * lookup belongs in start-up.
     */
    static String host(String value) {
        if (value.equals("localhost")) {
            return "127.0.0.1";
        }
        String literal = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
        try {
            if (literal.contains(":")) {
                return java.net.Inet6Address.ofLiteral(literal).getHostAddress();
            }
            if (IPV4.matcher(literal).matches()) {
                return java.net.Inet4Address.ofLiteral(literal).getHostAddress();
            }
        } catch (IllegalArgumentException e) {
            // refused below, with the same message as any other bad value
        }
        throw new ConfigException("IMGORIGIN_HOST",
                "must be an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost, got '" + value + "'");
    }

    private static final java.util.regex.Pattern IPV4 =
            java.util.regex.Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    /**
     * The first side of {@code t} that is over {@code maxDimension} whatever the source, as
     * Geometry computes it: a width or height in pixels (or one derived from the other by
     * {@code ar_}) times a fixed DPR. Fractions and client-hinted sizes depend on the request
     * and are left to it.
     */
    static Optional<String> tooLarge(Transformation t, int maxDimension) {
        double dpr = t.dpr().map(d -> d instanceof Transformation.Dpr.Fixed f ? f.value() : 1.0).orElse(1.0);
        Double w = t.width().map(l -> l instanceof Transformation.Length.Pixels p ? (double) p.value() : null).orElse(null);
        Double h = t.height().map(l -> l instanceof Transformation.Length.Pixels p ? (double) p.value() : null).orElse(null);
        if (t.aspectRatio().isPresent()) {
            double ar = t.aspectRatio().get().ratio();
            if (w != null && t.height().isEmpty()) {
                h = (double) Math.max(1, Math.round(w / ar));
            } else if (h != null && t.width().isEmpty()) {
                w = (double) Math.max(1, Math.round(h * ar));
            }
        }
        if (w != null && Math.round(w * dpr) > maxDimension) {
            return Optional.of("width of " + Math.round(w * dpr) + " pixels");
        }
        if (h != null && Math.round(h * dpr) > maxDimension) {
            return Optional.of("height of " + Math.round(h * dpr) + " pixels");
        }
        return Optional.empty();
    }
}
