package org.imgorigin.front;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imgorigin.app.Server;
import org.imgorigin.config.Config;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;

/**
 * The multi-node set-up of docs/design.md on loopback: three imgorigin nodes in this JVM, each
 * with its own cache directory and its own nginx ({@code nginx/nginx.conf}, X-Accel hits from
 * that node's cache), all reading one originals folder, behind the balancer
 * ({@code nginx/cluster.conf}). Closing it stops everything and deletes its files.
 */
final class Cluster implements AutoCloseable {
    static final int SIZE = RunningNginx.CLUSTER_NODES.size();

    /** One node: the origin and the nginx beside it, each of which can be stopped on its own. */
    static final class Node {
        final int index;
        final Path cache;
        final Server server;
        final RunningNginx nginx;
        private boolean originStopped;
        private boolean nginxStopped;

        private Node(int index, Path cache, Server server, RunningNginx nginx) {
            this.index = index;
            this.cache = cache;
            this.server = server;
            this.nginx = nginx;
        }

        /** The origin itself, without its nginx: what {@code bin/imgorigin purge} and Prometheus call. */
        String originUrl() {
            return "http://127.0.0.1:" + server.port();
        }

        /** Renders this node has done; still readable after it stopped. */
        long renders() {
            return server.metrics().renders();
        }

        /** The variant files this node has cached for image {@code id} (the directory of the README's Storage layout). */
        List<Path> cached(String id) throws IOException {
            Path dir = cache.resolve(id.substring(0, 4)).resolve(id.substring(4, 6)).resolve(id);
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(Files::isRegularFile)
                        .filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
            }
        }

        /** The JVM's part goes away, its nginx stays: a crashed or restarting origin. */
        synchronized void stopOrigin() throws Exception {
            if (!originStopped) {
                originStopped = true;
                server.close();
            }
        }

        /** Its nginx goes away too: the whole host is unreachable. */
        synchronized void stopNginx() throws InterruptedException {
            if (!nginxStopped) {
                nginxStopped = true;
                nginx.close();
            }
        }

        @Override
        public String toString() {
            return "node" + (index + 1) + " (origin :" + server.port() + ", nginx :" + nginx.port() + ")";
        }
    }

    private final Path root;
    private final List<Node> nodes;
    private final RunningNginx balancer;

    private Cluster(Path root, List<Node> nodes, RunningNginx balancer) {
        this.root = root;
        this.nodes = nodes;
        this.balancer = balancer;
    }

    /** In a value of {@link #start}'s {@code env}: the balancer's base URL, e.g. for IMGORIGIN_EAGER_VIA. */
    static final String BALANCER = "{balancer}";

    /**
     * Starts {@link #SIZE} nodes with {@code env} (name/value pairs; {@link #BALANCER} in a value
     * is replaced with the balancer's URL) on top of the settings that make them a cluster,
     * their nginx, and the balancer; returns once all accept connections.
     */
    static Cluster start(String... env) throws Exception {
        // Not @TempDir (0700): nginx's workers run as www-data and must reach the cache files.
        Path root = Files.createTempDirectory("imgorigin-cluster");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<Node> nodes = new ArrayList<>();
        Cluster cluster = new Cluster(root, nodes, null);
        // Known before the nodes start: they may be told to call it.
        int balancerPort = RunningNginx.freePort();
        try {
            for (int i = 0; i < SIZE; i++) {
                Path cache = root.resolve("node" + (i + 1)).resolve("cache");
                Files.createDirectories(cache);
                Map<String, String> vars = new HashMap<>(Map.of(
                        "IMGORIGIN_PORT", "0",
                        "IMGORIGIN_WORKERS", "1",
                        "IMGORIGIN_ORIGINALS", "file:" + root.resolve("originals"),
                        "IMGORIGIN_CACHE_DIR", cache.toString(),
                        "IMGORIGIN_ACCEL_PREFIX", "/_cache/",
                        "IMGORIGIN_ACCESS_LOG", "false"));
                for (int k = 0; k < env.length; k += 2) {
                    vars.put(env[k], env[k + 1].replace(BALANCER, "http://127.0.0.1:" + balancerPort));
                }
                Server server = Server.start(Config.fromEnv(vars));
                RunningNginx nginx;
                try {
                    nginx = RunningNginx.start(root.resolve("node" + (i + 1)).resolve("nginx"), server.port(), cache);
                } catch (Exception | Error e) {
                    server.close();
                    throw e;
                }
                nodes.add(new Node(i, cache, server, nginx));
            }
            RunningNginx balancer = RunningNginx.startBalancer(root.resolve("balancer"), balancerPort,
                    nodes.stream().map(n -> n.nginx.port()).toList());
            return new Cluster(root, nodes, balancer);
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    List<Node> nodes() {
        return nodes;
    }

    RunningNginx balancer() {
        return balancer;
    }

    /** {@code path} on the balancer: where clients (or the CDN) send requests. */
    URI url(String path) {
        return URI.create("http://127.0.0.1:" + balancer.port() + path);
    }

    /** Renders per node, in node order. */
    long[] renders() {
        return nodes.stream().mapToLong(Node::renders).toArray();
    }

    /** Stores a fixture from src/test/resources/images in the shared originals folder; returns its id. */
    String store(String fixture) throws Exception {
        byte[] bytes;
        try (InputStream in = Cluster.class.getResourceAsStream("/images/" + fixture)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + fixture);
            }
            bytes = in.readAllBytes();
        }
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 40);
        try (OriginalStore store = OriginalStores.file(root.resolve("originals"))) {
            store.put(new ImageId(id), bytes, "application/octet-stream");
        }
        return id;
    }

    /** The balancer's and every node nginx's logs, for assertion messages. */
    String logs() {
        StringBuilder out = new StringBuilder();
        if (balancer != null) {
            out.append("=== balancer\n").append(balancer.log()).append(balancer.accessLog());
        }
        for (Node node : nodes) {
            out.append("=== ").append(node).append('\n').append(node.nginx.log());
        }
        return out.toString();
    }

    /** Stops the balancer, then each node's nginx and origin; deletes every file; the first failure is thrown. */
    @Override
    public void close() throws Exception {
        Exception failure = null;
        List<AutoCloseable> steps = new ArrayList<>();
        if (balancer != null) {
            steps.add(balancer);
        }
        for (Node node : nodes) {
            steps.add(node::stopNginx);
            steps.add(node::stopOrigin);
        }
        steps.add(() -> {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        });
        for (AutoCloseable step : steps) {
            try {
                step.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
