package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.store.S3Settings;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete is a takedown: once {@code DELETE /images/<id>} has answered, no node may serve or
 * cache the image again, whatever was in flight. Each test starts the work that could bring
 * it back — a slow render, a slow S3 GET held by a fault proxy — then deletes, and checks
 * the racing request, every tier on disk, a later request and a restart.
 */
class DeleteRaceTest {
    private static final String BUCKET = "races";

    @TempDir
    Path root;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private BlobStoreContext blobs;
    private S3Proxy s3;
    private FaultyTcpProxy faults;

    @BeforeEach
    void credentials() {
        System.setProperty("aws.accessKeyId", "k");
        System.setProperty("aws.secretAccessKey", "s");
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        if (faults != null) {
            faults.close();
        }
        if (s3 != null) {
            s3.stop();
        }
        if (blobs != null) {
            blobs.close();
        }
    }

    /** A render running when the image is deleted answers 404, and leaves nothing behind, even across a restart. */
    @Test
    void aSlowRenderRacingADeleteLeavesNothing() throws Exception {
        String id = TestOrigin.store(root, "photo.jpg");
        Server server = start(root, "IMGORIGIN_RENDER_TIMEOUT", "120");
        String base = "http://127.0.0.1:" + server.port();
        CompletableFuture<HttpResponse<byte[]>> racing = get(base + "/e_blur:400/" + id + ".webp");
        awaitRendering(base);
        assertThat(delete(base, id)).isEqualTo(204);
        assertThat(racing.get().statusCode()).as("the render in flight").isEqualTo(404);
        assertGone(base, id, root.resolve("cache"));

        server.close();
        open.remove(server);
        Server again = start(root);
        assertGone("http://127.0.0.1:" + again.port(), id, root.resolve("cache"));
    }

    /** An S3 GET held back while the image is deleted through the same node keeps no local copy, and renders nothing. */
    @Test
    void aSlowGetRacingADeleteOnOneNodeLeavesNothing() throws Exception {
        String id = s3WithPhoto();
        Path cache = root.resolve("node");
        Server server = start(cache, s3Env(cache));
        String base = "http://127.0.0.1:" + server.port();
        faults.delay(1_500);
        CompletableFuture<HttpResponse<byte[]>> racing = get(base + "/w_200/" + id + ".webp");
        awaitHeld(); // the GET is held in the proxy
        assertThat(delete(base, id)).isEqualTo(204);
        assertThat(racing.get().statusCode()).as("the request whose GET raced the delete").isEqualTo(404);
        faults.pass();
        assertGone(base, id, cache);
    }

    /**
     * Three nodes over one bucket: node B has read the object but its answer is still on the
     * wire when the image is deleted through node A and {@code bin/imgorigin purge} reaches B
     * and C. B keeps no copy and serves nothing; C drops what it had cached.
     */
    @Test
    void aSlowGetOnAnotherNodeRacingADeleteAndPurgeLeavesNothing() throws Exception {
        String id = s3WithPhoto();
        List<String> bases = new ArrayList<>();
        List<Path> caches = new ArrayList<>();
        for (String node : List.of("a", "b", "c")) {
            Path cache = root.resolve(node);
            caches.add(cache);
            String[] env = s3Env(cache);
            if (node.equals("a")) {
                env[3] = "http://127.0.0.1:" + s3.getPort(); // A reaches S3 directly: its delete is at once
            }
            bases.add("http://127.0.0.1:" + start(cache, env).port());
        }
        // Node C has the variant cached before anything happens.
        assertThat(get(bases.get(2) + "/w_200/" + id + ".webp").get().statusCode()).isEqualTo(200);
        faults.delayAnswers(2_000);
        CompletableFuture<HttpResponse<byte[]>> racing = get(bases.get(1) + "/w_200/" + id + ".webp");
        awaitHeld(); // S3 has answered B; the answer is held in the proxy
        assertThat(delete(bases.get(0), id)).isEqualTo(204);
        for (String base : bases.subList(1, 3)) {
            assertThat(purge(base, id)).isEqualTo(200);
        }
        assertThat(racing.get().statusCode()).as("node B's request").isEqualTo(404);
        faults.pass();
        for (int i = 0; i < 3; i++) {
            assertGone(bases.get(i), id, caches.get(i));
        }
    }

    /**
     * No purge at all: a delete through node A reaches node B, told nothing, within the
     * journal's interval, and node C, down during the delete, before C serves anything after
     * its restart. Both had the variant and the original cached. Without the store's journal
     * both served the deleted image from their caches (docs/design.md §8.3).
     */
    @Test
    void aDeleteReachesEveryNodeThroughTheStoresJournal() throws Exception {
        String id = s3WithPhoto();
        String variant = "/w_200/" + id + ".webp";
        List<String> bases = new ArrayList<>();
        List<Path> caches = new ArrayList<>();
        List<String[]> envs = new ArrayList<>();
        Server c = null;
        for (String node : List.of("a", "b", "c")) {
            Path cache = root.resolve(node);
            String[] env = Stream.concat(Stream.of(s3Env(cache)), Stream.of("IMGORIGIN_JOURNAL_INTERVAL", "1"))
                    .toArray(String[]::new);
            env[3] = "http://127.0.0.1:" + s3.getPort();
            Server server = start(cache, env);
            c = server;
            caches.add(cache);
            envs.add(env);
            bases.add("http://127.0.0.1:" + server.port());
            assertThat(get(bases.getLast() + variant).get().statusCode()).isEqualTo(200);
        }
        c.close();
        open.remove(c);

        assertThat(delete(bases.get(0), id)).isEqualTo(204);
        assertThat(blobs.getBlobStore().list(BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder
                        .prefix("p/journal/").recursive()).stream().map(m -> m.getName()).toList())
                .as("the delete's entry in the bucket's journal").singleElement()
                .matches(name -> name.matches("p/journal/\\d{13}-deleted-" + id));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (get(bases.get(1) + variant).get().statusCode() != 404) {
            assertThat(System.nanoTime()).as("node B still serves the deleted image").isLessThan(deadline);
            Thread.sleep(100);
        }
        assertGone(bases.get(1), id, caches.get(1));

        String restarted = "http://127.0.0.1:" + start(caches.get(2), envs.get(2)).port();
        assertThat(get(restarted + variant).get().statusCode())
                .as("node C's first answer after its restart").isEqualTo(404);
        assertGone(restarted, id, caches.get(2));
        assertGone(bases.get(0), id, caches.get(0));

        // The same bytes uploaded again through B: every node serves them, A (whose tombstone
        // it is) too once it has seen the original back in the store.
        HttpResponse<String> upload = http.send(HttpRequest.newBuilder(URI.create(bases.get(1) + "/images"))
                .header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ServeImagesContract.fixture("photo.jpg"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        for (String base : List.of(bases.get(1), restarted, bases.get(0))) {
            long until = System.nanoTime() + Duration.ofSeconds(25).toNanos(); // A asks the store every 10 s
            while (get(base + variant).get().statusCode() != 200) {
                assertThat(System.nanoTime()).as(base + " (of " + bases + ", C restarted at " + restarted
                        + ") does not serve the image uploaded again").isLessThan(until);
                Thread.sleep(100);
            }
        }
    }

    private void assertGone(String base, String id, Path cache) throws Exception {
        for (String path : List.of("/w_200/" + id + ".webp", "/e_blur:400/" + id + ".webp", "/" + id)) {
            assertThat(get(base + path).get().statusCode()).as(base + path).isEqualTo(404);
        }
        HttpResponse<byte[]> conditional = http.send(HttpRequest.newBuilder(URI.create(base + "/w_200/" + id + ".webp"))
                .header("If-None-Match", "*").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(conditional.statusCode()).as("If-None-Match: * for a deleted image").isEqualTo(404);
        try (Stream<Path> files = Files.walk(cache)) {
            assertThat(files.filter(Files::isRegularFile).map(Path::toString).filter(p -> p.contains(id)).toList())
                    .as("files of the deleted image under " + cache).isEmpty();
        }
    }

    private void awaitHeld() throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (faults.held.get() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing reached the proxy");
            }
            Thread.sleep(5);
        }
    }

    private void awaitRendering(String base) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (metrics.lines().anyMatch(l -> l.startsWith("imgorigin_renders_running ") && !l.endsWith(" 0.0"))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the render never started");
    }

    private String s3WithPhoto() throws Exception {
        blobs = ContextBuilder.newBuilder("transient").credentials("k", "s").build(BlobStoreContext.class);
        blobs.getBlobStore().createContainerInLocation(null, BUCKET);
        s3 = TestOrigin.s3Proxy(blobs.getBlobStore(), 0);
        faults = new FaultyTcpProxy(s3.getPort());
        byte[] bytes = ServeImagesContract.fixture("photo.jpg");
        String id = TestOrigin.idOf(bytes);
        try (OriginalStore seed = OriginalStores.s3(new S3Settings(BUCKET, "p",
                Optional.of(URI.create("http://127.0.0.1:" + s3.getPort())), "us-east-1", true))) {
            seed.put(new ImageId(id), bytes, "image/jpeg");
        }
        return id;
    }

    private String[] s3Env(Path cache) {
        return new String[] {"IMGORIGIN_ORIGINALS", "s3://" + BUCKET + "/p",
                "IMGORIGIN_S3_ENDPOINT", "http://127.0.0.1:" + faults.port(), "IMGORIGIN_S3_PATH_STYLE", "true",
                "IMGORIGIN_CACHE_DIR", cache.toString(),
                // Read at start only: a journal read through the fault proxy would be the
                // request these tests hold, instead of the GET they race.
                "IMGORIGIN_JOURNAL_INTERVAL", "3600"};
    }

    private Server start(Path dir, String... env) throws Exception {
        Server server = TestOrigin.start(dir, env);
        open.add(server);
        return server;
    }

    private CompletableFuture<HttpResponse<byte[]>> get(String url) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private int delete(String base, String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/images/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private int purge(String base, String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/admin/purge/" + id))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
