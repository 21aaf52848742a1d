package org.imgorigin.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.imgorigin.config.Config;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What can be checked of {@code docker/} without a Docker engine: the compose file parses and
 * refers only to files that exist; it runs the very nginx configs and VCL the other tests run,
 * and they pass {@code nginx -t} and {@code varnishd -C} as compose fills them in; the origins
 * get only variables {@link Config} reads, with values it accepts; and the names and ports the
 * services use to find each other (nginx upstreams, Varnish's backend, Prometheus' targets,
 * Grafana's data source, the bucket) are the ones compose gives them.
 */
class DeploymentFilesTest {
    static final Path DOCKER = Path.of("docker");
    static final Path COMPOSE = DOCKER.resolve("compose.yaml");
    static final Path DOCKERFILE = DOCKER.resolve("Dockerfile");
    static final Path PROMETHEUS = DOCKER.resolve("prometheus/prometheus.yml");
    static final Path VARNISH_START = DOCKER.resolve("varnish/start.sh");

    /** What compose is run with in the test: the two variables it requires, nothing else. */
    static final Map<String, String> ENVIRONMENT = Map.of(
            "IMGORIGIN_UPLOAD_TOKEN", "test-upload-token",
            "IMGORIGIN_ADMIN_TOKEN", "test-admin-token");

    /** The origins' variables that are not Config's: S3 credentials (AWS's default chain) and JVM flags. */
    static final Set<String> ORIGIN_EXTRAS = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JDK_JAVA_OPTIONS");

    /** Every service key compose's specification has; a typo in one would be ignored by nobody but us. */
    static final Set<String> SERVICE_KEYS = Set.of("build", "image", "command", "entrypoint", "environment",
            "env_file", "volumes", "tmpfs", "ports", "expose", "depends_on", "network_mode", "networks",
            "restart", "healthcheck", "user", "working_dir", "labels", "logging", "deploy", "mem_limit",
            "cpus", "ulimits", "stop_grace_period", "stop_signal", "init", "read_only", "cap_add", "cap_drop",
            "security_opt", "sysctls", "shm_size", "extra_hosts", "hostname", "container_name", "profiles",
            "pull_policy", "secrets", "configs");

    static Map<String, Object> compose;
    static Map<String, Map<String, Object>> services;

    @TempDir
    static Path work;

    @BeforeAll
    static void parse() throws IOException {
        Object parsed = yaml().load(Files.readString(COMPOSE));
        assertThat(parsed).as(COMPOSE + " is a YAML mapping").isInstanceOf(Map.class);
        compose = map(interpolate(parsed, ENVIRONMENT));
        services = new LinkedHashMap<>();
        map(compose.get("services")).forEach((name, service) -> services.put(name, map(service)));
    }

    /**
     * The CDN configurations leave the cross-origin grants and the request's Origin alone:
     * nothing sets, unsets or hashes them (VarnishTest runs the Varnish one; Fastly's cannot run
     * here, so both are read). With the origin's default {@code *} and no {@code Vary: Origin},
     * one cached object then serves pages on every origin.
     */
    @Test
    void theCdnConfigsPassCrossOriginGrantsThroughAndDoNotHashOrigin() throws IOException {
        for (Path vcl : List.of(DOCKER.resolve("varnish/default.vcl"), DOCKER.resolve("fastly/imgorigin.vcl"))) {
            List<String> code = Files.readAllLines(vcl).stream().map(String::strip)
                    .filter(line -> !line.startsWith("#")).toList();
            for (String line : code) {
                assertThat(line).as(vcl + ": " + line)
                        .doesNotContainIgnoringCase("Access-Control-")
                        .doesNotContainIgnoringCase("Timing-Allow-Origin")
                        .doesNotContainIgnoringCase("Cross-Origin-Resource-Policy")
                        .doesNotContainIgnoringCase("http.Origin")
                        .doesNotContainIgnoringCase("http.Vary");
            }
        }
    }

    @Test
    void composeRunsEveryPartOfTheSetUpWithKnownKeysOnly() {
        assertThat(services).containsKeys("minio", "minio-init", "node1", "node2", "node3", "origin1", "origin2",
                "origin3", "front", "varnish", "prometheus", "grafana");
        for (String key : compose.keySet()) {
            assertThat(key).as("top-level key").matches("name|services|volumes|networks|configs|secrets|x-.+");
        }
        Set<String> volumes = map(compose.get("volumes")).keySet();
        services.forEach((name, service) -> {
            assertThat(SERVICE_KEYS).as("keys of service " + name).containsAll(service.keySet());
            assertThat(service.containsKey("image") || service.containsKey("build")).as(name + " has an image").isTrue();
            for (String dependency : dependsOn(service)) {
                assertThat(services).as(name + " depends on").containsKey(dependency);
            }
            networkOwner(service).ifPresent(owner -> assertThat(services).as(name + "'s network_mode").containsKey(owner));
            for (Mount mount : mounts(service)) {
                if (!mount.isBind()) {
                    assertThat(volumes).as(name + " mounts volume " + mount.source()).contains(mount.source());
                }
            }
        });
    }

    @Test
    void aMissingTokenStopsComposeWithItsName() throws IOException {
        Object parsed = yaml().load(Files.readString(COMPOSE));
        assertThatThrownBy(() -> interpolate(parsed, Map.of("IMGORIGIN_ADMIN_TOKEN", "x")))
                .hasMessageContaining("IMGORIGIN_UPLOAD_TOKEN");
        assertThatThrownBy(() -> interpolate(parsed, Map.of("IMGORIGIN_UPLOAD_TOKEN", "x")))
                .hasMessageContaining("IMGORIGIN_ADMIN_TOKEN");
    }

    @Test
    void everyFileTheComposeFileBuildsOrMountsExists() throws IOException {
        for (var entry : services.entrySet()) {
            for (Mount mount : mounts(entry.getValue())) {
                if (mount.isBind()) {
                    assertThat(DOCKER.resolve(mount.source())).as(entry.getKey() + " mounts " + mount.source()).exists();
                }
            }
            if (entry.getValue().get("build") instanceof Map<?, ?> build) {
                Path context = DOCKER.resolve((String) build.get("context")).normalize();
                Path dockerfile = context.resolve((String) build.get("dockerfile"));
                assertThat(dockerfile).as(entry.getKey() + "'s Dockerfile").exists();
                assertThat(Files.isSameFile(dockerfile, DOCKERFILE)).isTrue();
                // What the Dockerfile copies from the context is there (and not in .dockerignore's way).
                for (String source : dockerfileCopySources()) {
                    assertThat(context.resolve(source)).as("COPY " + source).exists();
                }
            }
        }
        // The Varnish entrypoint lives in the directory compose mounts for it.
        Map<String, Object> varnish = services.get("varnish");
        assertThat(list(varnish.get("entrypoint"))).contains("/etc/varnish/imgorigin/start.sh");
        assertThat(hostPathOf(varnish, "/etc/varnish/imgorigin/start.sh")).hasValue(VARNISH_START.normalize());
        assertThat(Files.isExecutable(VARNISH_START)).isTrue();
    }

    @Test
    void composeRunsTheNginxConfigsAndVclTheOtherTestsRun() throws IOException {
        for (String node : List.of("node1", "node2", "node3")) {
            assertThat(hostPathOf(services.get(node), "/etc/nginx/nginx.conf")).as(node)
                    .hasValue(RunningNginx.CONFIG.normalize());
        }
        assertThat(hostPathOf(services.get("front"), "/etc/nginx/nginx.conf")).hasValue(RunningNginx.CLUSTER_CONFIG);
        // start.sh reads the VCL from the mounted directory: the file VarnishTest runs.
        assertThat(Files.readString(VARNISH_START)).contains("${VARNISH_VCL:-/etc/varnish/imgorigin/default.vcl}");
        assertThat(hostPathOf(services.get("varnish"), "/etc/varnish/imgorigin/default.vcl"))
                .hasValue(RunningVarnish.VCL.normalize());
    }

    @Test
    void nginxAcceptsBothConfigsAsTheTestsFillThemIn() throws Exception {
        assumeTrue(Files.isExecutable(RunningNginx.BINARY), "nginx is not installed");
        Path node = work.resolve("nginx-node");
        assertThat(RunningNginx.check(node, RunningNginx.nodeConfig(node, 18080, 18081, work.resolve("cache"))))
                .contains("test is successful");
        Path balancer = work.resolve("nginx-balancer");
        assertThat(RunningNginx.check(balancer, RunningNginx.balancerConfig(balancer, 18090,
                List.of(18091, 18092, 18093)))).contains("test is successful");
    }

    @Test
    void theBalancerAndEachNodesNginxFindWhatComposeGivesThem() throws IOException {
        String nodeConfig = Files.readString(RunningNginx.CONFIG);
        String clusterConfig = Files.readString(RunningNginx.CLUSTER_CONFIG);
        // The balancer's upstream: exactly the node services, at the port their nginx listens on.
        List<String> upstream = Pattern.compile("(?m)^\\s*server\\s+([\\w.-]+:\\d+)\\s").matcher(clusterConfig).results()
                .map(m -> m.group(1)).toList();
        assertThat(upstream).isEqualTo(RunningNginx.CLUSTER_NODES);
        assertThat(nodeConfig).contains("listen 80;");
        List<String> nodeServices = services.entrySet().stream()
                .filter(e -> hostPathOf(e.getValue(), "/etc/nginx/nginx.conf")
                        .filter(p -> p.equals(RunningNginx.CONFIG.normalize())).isPresent())
                .map(e -> e.getKey() + ":80").toList();
        assertThat(nodeServices).containsExactlyInAnyOrderElementsOf(upstream);

        // Each origin shares its nginx's network namespace and cache volume, where nginx.conf
        // expects them: the origin on 127.0.0.1:8080, the cache at /var/cache/imgorigin/.
        for (String origin : List.of("origin1", "origin2", "origin3")) {
            Map<String, Object> service = services.get(origin);
            String nginx = networkOwner(service).orElseThrow(() -> new AssertionError(origin + " has no network_mode"));
            Map<String, String> env = environment(service);
            assertThat(nodeConfig).contains("server 127.0.0.1:" + env.getOrDefault("IMGORIGIN_PORT", "8080") + " ");
            String cacheDir = env.get("IMGORIGIN_CACHE_DIR");
            Mount cache = mounts(service).stream().filter(m -> m.target().equals(cacheDir)).findFirst()
                    .orElseThrow(() -> new AssertionError(origin + " mounts nothing at " + cacheDir));
            assertThat(cache.isBind()).isFalse();
            Mount seen = mounts(services.get(nginx)).stream().filter(m -> m.source().equals(cache.source()))
                    .findFirst().orElseThrow(() -> new AssertionError(nginx + " does not mount " + cache.source()));
            assertThat(seen.target()).isEqualTo("/var/cache/imgorigin");
            assertThat(seen.readOnly()).as(nginx + " only reads the cache").isTrue();
            assertThat(nodeConfig).contains("alias " + seen.target() + "/;");
            assertThat(env.get("IMGORIGIN_ACCEL_PREFIX")).isEqualTo("/_cache/");
            assertThat(nodeConfig).contains("location " + env.get("IMGORIGIN_ACCEL_PREFIX") + " {");
            // Every cache volume belongs to one node.
            assertThat(services.entrySet().stream().filter(e -> e.getKey().startsWith("origin"))
                    .filter(e -> mounts(e.getValue()).stream().anyMatch(m -> m.source().equals(cache.source()))))
                    .hasSize(1);
        }
        // nginx's temporary files: a directory the official image lacks.
        for (String name : List.of("node1", "node2", "node3", "front")) {
            assertThat(list(services.get(name).get("tmpfs"))).as(name).contains("/var/lib/nginx");
        }
    }

    @Test
    void varnishCompilesTheVclAsComposeFillsItIn() throws Exception {
        assumeTrue(RunningVarnish.installed(), "varnishd or the xkey vmod is not installed");
        Map<String, String> env = environment(services.get("varnish"));
        // Its backend is the balancer, at the port the balancer listens on.
        assertThat(env.get("VARNISH_BACKEND_HOST")).isEqualTo("front");
        assertThat(hostPathOf(services.get("front"), "/etc/nginx/nginx.conf")).hasValue(RunningNginx.CLUSTER_CONFIG);
        assertThat(Files.readString(RunningNginx.CLUSTER_CONFIG)).contains("listen " + env.get("VARNISH_BACKEND_PORT") + ";");

        // varnishd resolves backend names while compiling: `front` exists only inside compose.
        Map<String, String> local = new HashMap<>(env);
        local.put("VARNISH_BACKEND_HOST", "127.0.0.1");
        local.put("VARNISH_VCL", RunningVarnish.VCL.toAbsolutePath().toString());
        Path vcl = work.resolve("compose.vcl");
        local.put("VARNISH_VCL_OUT", vcl.toString());
        Result render = run(local, "sh", VARNISH_START.toString(), "render");
        assertThat(render.exit()).as(render.output()).isZero();
        String rendered = Files.readString(vcl);
        assertThat(rendered).contains(".port = \"" + env.get("VARNISH_BACKEND_PORT") + "\";");
        for (String network : env.get("VARNISH_PURGE_FROM").split("\\s+")) {
            String[] parts = network.split("/");
            assertThat(rendered).contains("\"" + parts[0] + "\"/" + parts[1] + ";");
        }
        Result compile = run(Map.of(), RunningVarnish.VARNISHD.toString(), "-C", "-j", "none", "-f", vcl.toString(),
                "-n", work.resolve("varnish-instance").toString());
        assertThat(compile.exit()).as(compile.output()).isZero();

        // A bad value stops the script instead of reaching the VCL.
        local.put("VARNISH_PURGE_FROM", "10.0.0.0/8\";}");
        assertThat(run(local, "sh", VARNISH_START.toString(), "render").exit()).isNotZero();
    }

    @Test
    void theReadmeExplainsEveryPlaceholderAndVariableOfTheShippedConfigs() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String deployment = readme.substring(readme.indexOf("\n## Deployment\n"), readme.indexOf("\n## Benchmarks\n"));
        for (Path config : List.of(RunningNginx.CONFIG, RunningNginx.CLUSTER_CONFIG)) {
            List<String> placeholders = headerPlaceholders(config);
            assertThat(placeholders).as(config + "'s placeholders").contains("listen 80;", "/var/log/nginx/");
            for (String placeholder : placeholders) {
                assertThat(deployment).as("README's deployment section on " + config)
                        .contains("`" + placeholder + "`");
            }
        }
        // The ones the tests replace are the ones the header lists, and the README's.
        assertThat(headerPlaceholders(RunningNginx.CONFIG)).contains("127.0.0.1:8080", "/var/cache/imgorigin/",
                "/var/lib/nginx/", "/run/nginx.pid", "/_cache/");
        assertThat(headerPlaceholders(RunningNginx.CLUSTER_CONFIG)).containsAll(RunningNginx.CLUSTER_NODES);

        // What must match: nginx's internal location is the prefix the README's example sets,
        // and the fallback header the README tells operators to look for is the one nginx adds.
        assertThat(Files.readString(RunningNginx.CONFIG)).contains("location /_cache/ {",
                "add_header X-Imgorigin-Fallback cache-file-not-found always;",
                "fallback=$sent_http_x_imgorigin_fallback");
        assertThat(deployment).contains("`IMGORIGIN_ACCEL_PREFIX=/_cache/`",
                "`X-Imgorigin-Fallback: cache-file-not-found`", "`fallback=cache-file-not-found`");

        // Every variable start.sh reads, with the default it uses.
        Matcher variables = Pattern.compile("\\$\\{(VARNISH_[A-Z_]+):-([^}]*)}").matcher(Files.readString(VARNISH_START));
        Set<String> seen = new TreeSet<>();
        while (variables.find()) {
            String name = variables.group(1);
            seen.add(name);
            Matcher row = Pattern.compile("(?m)^\\| `" + name + "` \\| ([^|]*) \\|").matcher(deployment);
            assertThat(row.find()).as("README row for " + name).isTrue();
            String documented = row.group(1).strip();
            if (!variables.group(2).isEmpty()) {
                assertThat(documented).as("README's default of " + name).isEqualTo("`" + variables.group(2) + "`");
            } else {
                assertThat(documented).as("README's default of " + name).isEqualTo("none");
            }
        }
        assertThat(seen).contains("VARNISH_BACKEND_HOST", "VARNISH_LISTEN", "VARNISH_PURGE_FROM");
    }

    /** The placeholders a config's header lists: {@code #   <placeholder>   <what it is>} lines after "Placeholders". */
    static List<String> headerPlaceholders(Path config) throws IOException {
        List<String> lines = Files.readAllLines(config);
        int start = 0;
        while (!lines.get(start).startsWith("# Placeholders.")) {
            start++;
        }
        List<String> placeholders = new ArrayList<>();
        Pattern entry = Pattern.compile("^#   (\\S+(?: \\S+)*) {2,}\\S.*$");
        for (String line : lines.subList(start + 1, lines.size())) {
            if (!line.startsWith("#")) {
                break;
            }
            Matcher m = entry.matcher(line);
            if (m.matches()) {
                placeholders.add(m.group(1));
            }
        }
        return placeholders;
    }

    @Test
    void varnishListensOnLoopbackUnlessToldOtherwise() throws Exception {
        // A stand-in varnishd on the PATH prints the arguments start.sh runs it with.
        Path bin = work.resolve("fake-bin");
        Files.createDirectories(bin);
        Path fake = bin.resolve("varnishd");
        Files.writeString(fake, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        assertThat(fake.toFile().setExecutable(true)).isTrue();
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin.toAbsolutePath() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("VARNISH_VCL", RunningVarnish.VCL.toAbsolutePath().toString());
        env.put("VARNISH_VCL_OUT", work.resolve("listen.vcl").toString());

        Result byDefault = run(env, "sh", VARNISH_START.toString());
        assertThat(byDefault.exit()).as(byDefault.output()).isZero();
        assertThat(byDefault.output().lines().toList()).containsSubsequence("-a", "http=127.0.0.1:80,HTTP");

        env.put("VARNISH_LISTEN", "0.0.0.0:6081");
        Result told = run(env, "sh", VARNISH_START.toString());
        assertThat(told.output().lines().toList()).containsSubsequence("-a", "http=0.0.0.0:6081,HTTP");

        for (String bad : List.of("127.0.0.1:80 -p x", "127.0.0.1:80,PROXY", "host:")) {
            env.put("VARNISH_LISTEN", bad);
            assertThat(run(env, "sh", VARNISH_START.toString()).exit()).as(bad).isNotZero();
        }

        // Inside compose the container's port is published, so Varnish listens on every
        // interface there, and compose publishes it on BIND_ADDRESS, loopback unless set.
        Map<String, Object> varnish = services.get("varnish");
        assertThat(environment(varnish).get("VARNISH_LISTEN")).isEqualTo(":80");
        assertThat(list(varnish.get("ports"))).allSatisfy(p -> assertThat(p).startsWith("127.0.0.1:").endsWith(":80"));
    }

    @Test
    void theOriginsGetOnlyVariablesConfigReadsWithValuesItAccepts() throws IOException {
        Set<String> read = new TreeSet<>();
        Config.fromEnv(recording(Map.of(), read));
        List<String> origins = services.keySet().stream().filter(n -> n.startsWith("origin")).toList();
        assertThat(origins).hasSize(3);
        for (String origin : origins) {
            Map<String, Object> service = services.get(origin);
            assertThat(service.get("image")).isEqualTo("imgorigin:local");
            Map<String, String> env = environment(service);
            Config config = Config.fromEnv(recording(env, read));
            Set<String> unknown = new TreeSet<>(env.keySet());
            unknown.removeAll(read);
            unknown.removeAll(ORIGIN_EXTRAS);
            assertThat(unknown).as(origin + "'s variables that imgorigin does not read").isEmpty();

            // The original store is the MinIO that compose runs, with MinIO's own credentials,
            // in the bucket minio-init creates.
            assertThat(config.originals().url()).startsWith("s3://");
            URI endpoint = URI.create(config.originals().s3Endpoint().orElseThrow());
            assertThat(services).containsKey(endpoint.getHost());
            assertThat(list(services.get(endpoint.getHost()).get("command"))).contains("server");
            assertThat(endpoint.getPort()).as("MinIO's API port").isEqualTo(9000);
            assertThat(config.originals().s3PathStyle()).isTrue();
            Map<String, String> minio = environment(services.get("minio"));
            assertThat(env.get("AWS_ACCESS_KEY_ID")).isEqualTo(minio.get("MINIO_ROOT_USER"));
            assertThat(env.get("AWS_SECRET_ACCESS_KEY")).isEqualTo(minio.get("MINIO_ROOT_PASSWORD"));
            String bucket = URI.create(config.originals().url()).getHost();
            assertThat(String.join(" ", list(services.get("minio-init").get("command"))))
                    .contains("mc mb --ignore-existing store/" + bucket);
            assertThat(config.cache().accelPrefix()).hasValue("/_cache/");
            assertThat(config.uploadToken()).hasValue(ENVIRONMENT.get("IMGORIGIN_UPLOAD_TOKEN"));
            assertThat(config.adminToken()).hasValue(ENVIRONMENT.get("IMGORIGIN_ADMIN_TOKEN"));
            assertThat(dependsOn(service)).contains("minio-init");
        }

        // The Dockerfile's own defaults, too.
        Map<String, String> dockerfileEnv = dockerfileEnvironment();
        assertThat(dockerfileEnv).containsKeys("IMGORIGIN_ORIGINALS", "IMGORIGIN_CACHE_DIR", "LD_PRELOAD");
        // jemalloc as bin/imgorigin serve sets it: large allocations in the common arenas and
        // freed pages kept a while, or every render faults its memory in again (docs/benchmarks.md).
        assertThat(dockerfileEnv.get("MALLOC_CONF")).isEqualTo(serveMallocConf())
                .contains("oversize_threshold:0", "dirty_decay_ms:1000");
        Set<String> unknown = dockerfileEnv.keySet().stream().filter(k -> k.startsWith("IMGORIGIN_"))
                .filter(k -> !read.contains(k)).collect(Collectors.toCollection(TreeSet::new));
        assertThat(unknown).as("the Dockerfile's IMGORIGIN_ variables that imgorigin does not read").isEmpty();
        Config.fromEnv(dockerfileEnv);
    }

    /**
     * jemalloc itself reads the {@code MALLOC_CONF} that {@code bin/imgorigin serve} (and the
     * Dockerfile, above) sets: every option must be one it knows, with a value it takes (an
     * unknown one is only warned about, and the setting silently lost), and must hold the value
     * written, as jemalloc's own statistics print it.
     */
    @Test
    void jemallocTakesEveryOptionServeSets() throws Exception {
        // Where bin/imgorigin looks: /usr/lib/<multiarch triplet>/, then /usr/lib/.
        Optional<Path> jemalloc;
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            jemalloc = Stream.concat(dirs.filter(Files::isDirectory).map(d -> d.resolve("libjemalloc.so.2")),
                    Stream.of(Path.of("/usr/lib/libjemalloc.so.2"))).filter(Files::isRegularFile).findFirst();
        }
        assumeTrue(jemalloc.isPresent(), "libjemalloc2 is not installed");
        assumeTrue(Files.isExecutable(Path.of("/bin/true")), "no /bin/true to run under jemalloc");
        // Without the kernel's THP switch (no /sys/kernel/mm/transparent_hugepage: some
        // sandboxes, kernels built without THP) jemalloc takes thp:always and reports "not
        // supported": nothing to ask for, nothing lost.
        boolean thpSupported = Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        String conf = serveMallocConf();
        ProcessBuilder trueWithJemalloc = new ProcessBuilder("/bin/true").redirectErrorStream(true);
        trueWithJemalloc.environment().put("LD_PRELOAD", jemalloc.get().toString());
        trueWithJemalloc.environment().put("MALLOC_CONF", conf + ",abort_conf:true,stats_print:true");
        Process process = trueWithJemalloc.start();
        String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("jemalloc with abort_conf:true on %s:%n%s", conf, printed).isZero();
        assertThat(printed).doesNotContain("<jemalloc>");
        for (String option : conf.split(",")) {
            String[] pair = option.split(":", 2);
            String value = pair[0].equals("thp") && !thpSupported ? "not supported" : pair[1];
            assertThat(printed).as("jemalloc's statistics for %s", option)
                    .containsPattern("(?m)^\\s*opt\\." + Pattern.quote(pair[0]) + ": \"?" + Pattern.quote(value)
                            + "\"?(\\s|$)");
        }
    }

    /** The {@code MALLOC_CONF} that {@code bin/imgorigin serve} sets unless the operator set one. */
    private static String serveMallocConf() throws IOException {
        Matcher serve = Pattern.compile("MALLOC_CONF=\"\\$\\{MALLOC_CONF:-([^}]+)}\"")
                .matcher(Files.readString(Path.of("bin/imgorigin")));
        assertThat(serve.find()).as("bin/imgorigin's MALLOC_CONF default").isTrue();
        return serve.group(1);
    }

    @Test
    void prometheusScrapesEveryOriginWhereComposeRunsIt() throws IOException {
        assertThat(hostPathOf(services.get("prometheus"), "/etc/prometheus/prometheus.yml"))
                .hasValue(PROMETHEUS.normalize());
        Map<String, Object> config = map(yaml().load(Files.readString(PROMETHEUS)));
        List<String> targets = new ArrayList<>();
        for (Object job : nodes(config.get("scrape_configs"))) {
            Map<String, Object> scrape = map(job);
            assertThat(scrape.get("metrics_path")).isEqualTo("/metrics");
            for (Object statics : nodes(scrape.get("static_configs"))) {
                for (Object target : list(map(statics).get("targets"))) {
                    targets.add((String) target);
                }
            }
        }
        List<String> origins = services.entrySet().stream().filter(e -> e.getKey().startsWith("origin"))
                .map(e -> networkOwner(e.getValue()).orElse(e.getKey()) + ":"
                        + environment(e.getValue()).getOrDefault("IMGORIGIN_PORT", "8080"))
                .toList();
        assertThat(targets).containsExactlyInAnyOrderElementsOf(origins);
    }

    @Test
    void grafanaProvisionsThePrometheusAndDashboardsComposeRuns() throws IOException {
        Map<String, Object> grafana = services.get("grafana");
        Path provisioning = hostPathOf(grafana, "/etc/grafana/provisioning").orElseThrow();
        Map<String, Object> datasources = map(yaml().load(Files.readString(
                provisioning.resolve("datasources/prometheus.yml"))));
        URI url = URI.create((String) map(nodes(datasources.get("datasources")).getFirst()).get("url"));
        assertThat(services).containsKey(url.getHost());
        assertThat(String.join(" ", list(services.get(url.getHost()).get("ports")))).contains(":" + url.getPort());

        Map<String, Object> dashboards = map(yaml().load(Files.readString(
                provisioning.resolve("dashboards/imgorigin.yml"))));
        String path = (String) map(map(nodes(dashboards.get("providers")).getFirst()).get("options")).get("path");
        Path mounted = hostPathOf(grafana, path).orElseThrow(() -> new AssertionError("nothing mounted at " + path));
        assertThat(mounted.resolve("imgorigin.json")).exists();
    }

    @Test
    void theImageIsBuiltWithMavenAndRunsOnAJreWithLibvipsAndJemalloc() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        List<String> from = Pattern.compile("(?m)^FROM\\s+(.+)$").matcher(dockerfile).results()
                .map(m -> m.group(1).strip()).toList();
        assertThat(from).hasSize(2);
        assertThat(from.getFirst()).matches("maven:\\S*temurin-25\\S* AS build");
        // On a named Ubuntu release: the bare tag moves to the next one, libvips and codecs with it.
        assertThat(from.getLast()).matches("eclipse-temurin:25-jre-[a-z]+");
        assertThat(dockerfile).contains("libvips42", "libjemalloc2", "COPY --from=build /src/target/imgorigin.jar");
        // The preloaded library is the one the package installs (linked at a fixed path).
        String preload = dockerfileEnvironment().get("LD_PRELOAD");
        assertThat(dockerfile).contains("/libjemalloc\\.so\\.2$')\" " + preload);
        assertThat(dockerfile).contains("http://127.0.0.1:8080/readyz");
        assertThat(Files.readString(DOCKER.resolve("Dockerfile.dockerignore"))).contains("!pom.xml", "!src/");
    }

    // --- compose's rules, as far as these files use them -------------------------------------------

    /** A volume entry, short syntax {@code source:target[:ro]}: a named volume or a bind mount. */
    record Mount(String source, String target, boolean readOnly) {
        boolean isBind() {
            return source.startsWith(".") || source.startsWith("/");
        }
    }

    static List<Mount> mounts(Map<String, Object> service) {
        List<Mount> mounts = new ArrayList<>();
        for (Object entry : list(service.get("volumes"))) {
            String[] parts = ((String) entry).split(":");
            assertThat(parts.length).as("volume " + entry).isBetween(2, 3);
            mounts.add(new Mount(parts[0], parts[1], parts.length == 3 && parts[2].equals("ro")));
        }
        return mounts;
    }

    /** The file in the repository that a service sees at {@code containerPath}, through a bind mount of it or of a directory above it. */
    static Optional<Path> hostPathOf(Map<String, Object> service, String containerPath) {
        for (Mount mount : mounts(service)) {
            if (mount.isBind() && (containerPath.equals(mount.target())
                    || containerPath.startsWith(mount.target() + "/"))) {
                return Optional.of(DOCKER.resolve(mount.source())
                        .resolve(containerPath.substring(mount.target().length()).replaceFirst("^/", ""))
                        .normalize());
            }
        }
        return Optional.empty();
    }

    static Optional<String> networkOwner(Map<String, Object> service) {
        Object mode = service.get("network_mode");
        return mode instanceof String s && s.startsWith("service:")
                ? Optional.of(s.substring("service:".length())) : Optional.empty();
    }

    static List<String> dependsOn(Map<String, Object> service) {
        Object depends = service.get("depends_on");
        if (depends instanceof Map<?, ?> m) {
            return m.keySet().stream().map(String::valueOf).toList();
        }
        return list(depends).stream().map(String::valueOf).toList();
    }

    static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        Object environment = service.get("environment");
        if (environment instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else {
            for (Object line : list(environment)) {
                String[] kv = ((String) line).split("=", 2);
                env.put(kv[0], kv.length == 2 ? kv[1] : "");
            }
        }
        return env;
    }

    private static final Pattern VARIABLE = Pattern.compile(
            "\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    /** Compose's interpolation of {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR:?error}} and {@code $$} in every value. */
    static Object interpolate(Object node, Map<String, String> env) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), interpolate(v, env)));
            return out;
        }
        if (node instanceof List<?> l) {
            return l.stream().map(v -> interpolate(v, env)).toList();
        }
        if (!(node instanceof String s)) {
            return node;
        }
        Matcher m = VARIABLE.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value;
            if (m.group().equals("$$")) {
                value = "$";
            } else {
                String name = m.group(1) != null ? m.group(1) : m.group(5);
                String set = env.get(name);
                boolean missing = m.group(2) != null && m.group(2).equals(":") ? set == null || set.isEmpty() : set == null;
                if (!missing || m.group(3) == null) {
                    value = set == null ? "" : set;
                } else if (m.group(3).equals("-")) {
                    value = m.group(4);
                } else {
                    throw new IllegalStateException("required variable " + name + " is missing: " + m.group(4));
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    // --- small readers ---------------------------------------------------------------------------

    static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    static List<?> nodes(Object node) {
        assertThat(node).isInstanceOf(List.class);
        return (List<?>) node;
    }

    /** A list of scalars (or one scalar) as strings. */
    static List<String> list(Object node) {
        if (node == null) {
            return List.of();
        }
        if (node instanceof String s) {
            return List.of(s);
        }
        assertThat(node).isInstanceOf(List.class);
        return ((List<?>) node).stream().map(o -> o instanceof String s ? s : String.valueOf(o)).toList();
    }

    /** {@code vars}, with the name of every variable anyone asks for written down in {@code asked}. */
    static Map<String, String> recording(Map<String, String> vars, Set<String> asked) {
        return new AbstractMap<>() {
            @Override
            public String get(Object key) {
                asked.add((String) key);
                return vars.get(key);
            }

            @Override
            public Set<Entry<String, String>> entrySet() {
                return vars.entrySet();
            }
        };
    }

    /** The runtime stage's ENV, {@code ENV A=1 \ B=2} lines joined. */
    static Map<String, String> dockerfileEnvironment() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE).replace("\\\n", " ");
        String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        Map<String, String> env = new LinkedHashMap<>();
        Matcher lines = Pattern.compile("(?m)^ENV\\s+(.+)$").matcher(runtime);
        while (lines.find()) {
            for (String pair : lines.group(1).trim().split("\\s+")) {
                String[] kv = pair.split("=", 2);
                env.put(kv[0], kv[1]);
            }
        }
        return env;
    }

    /** The build context's paths that COPY lines without --from name. */
    static List<String> dockerfileCopySources() throws IOException {
        return Pattern.compile("(?m)^COPY\\s+(?!--from)(\\S+)\\s").matcher(Files.readString(DOCKERFILE)).results()
                .map(m -> m.group(1)).toList();
    }

    record Result(int exit, String output) {
    }

    static Result run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        // varnishd -C prints the whole generated C; keep failure messages readable.
        return new Result(process.exitValue(), text.length() > 4000 ? text.substring(text.length() - 4000) : text);
    }
}
