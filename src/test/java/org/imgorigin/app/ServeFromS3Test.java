package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imgorigin.config.Config;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.store.S3Settings;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Originals in a bucket of a real S3 protocol server (S3Proxy, in this JVM on loopback),
 * read by the server through the AWS SDK with credentials from the default chain.
 */
class ServeFromS3Test extends ServeImagesContract {
    private static final String BUCKET = "originals";
    private BlobStoreContext blobs;
    private S3Proxy proxy;
    private URI endpoint;

    @Override
    Map<String, String> storeEnvironment() throws Exception {
        blobs = ContextBuilder.newBuilder("transient").credentials("test-key", "test-secret")
                .build(BlobStoreContext.class);
        blobs.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3Proxy.builder().blobStore(blobs.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "test-key", "test-secret")
                .build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        // The AWS default chain reads these system properties (the environment cannot be set from Java).
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        return s3Env(endpoint.toString());
    }

    private static Map<String, String> s3Env(String endpoint) {
        Map<String, String> env = new HashMap<>();
        env.put("IMGORIGIN_ORIGINALS", "s3://" + BUCKET + "/site-a");
        env.put("IMGORIGIN_S3_ENDPOINT", endpoint);
        env.put("IMGORIGIN_S3_PATH_STYLE", "true");
        return env;
    }

    @Override
    OriginalStore seedStore() {
        return OriginalStores.s3(new S3Settings(BUCKET, "site-a", Optional.of(endpoint), "us-east-1", true));
    }

    @AfterAll
    void stopS3() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (blobs != null) {
            blobs.close();
        }
    }

    @Test
    void originalsAreReadFromTheHashPrefixedKey() throws Exception {
        String key = "site-a/" + photo.substring(0, 4) + "/" + photo.substring(4, 6) + "/" + photo;
        assertThat(blobs.getBlobStore().blobExists(BUCKET, key)).isTrue();
        assertThat(get("/w_10/" + photo + ".png").statusCode()).isEqualTo(200);
    }

    @Test
    void aStoreThatIsDownIsABadGatewayNotACrash() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> env = s3Env("http://127.0.0.1:" + closedPort);
        env.put("IMGORIGIN_PORT", "0");
        env.put("IMGORIGIN_CACHE_DIR", java.nio.file.Files.createTempDirectory("imgorigin-down").toString());
        try (Server down = Server.start(Config.fromEnv(env))) {
            var r = client.get(down.port(), "127.0.0.1", "/w_10/" + photo + ".png").send()
                    .await(60, java.util.concurrent.TimeUnit.SECONDS);
            assertJsonError(r, 502, "original store");
            var ready = client.get(down.port(), "127.0.0.1", "/readyz").send()
                    .await(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ready.statusCode()).isEqualTo(503);
        }
    }
}
