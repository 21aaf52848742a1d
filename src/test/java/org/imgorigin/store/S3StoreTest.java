package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** {@link S3Store} against S3Proxy, an S3 protocol server, running in this JVM over an in-memory blob store. */
class S3StoreTest extends S3StoreContract {
    private static final String IDENTITY = "imgorigin-test";
    private static final String CREDENTIAL = "imgorigin-test-secret";
    private static final String REGION = "us-east-1";

    private static BlobStoreContext blobs;
    private static S3Proxy proxy;
    private static URI endpoint;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        blobs = ContextBuilder.newBuilder("transient")
                .credentials(IDENTITY, CREDENTIAL)
                .build(BlobStoreContext.class);
        // Port 0: the kernel picks a free one, so parallel builds do not collide.
        proxy = S3Proxy.builder()
                .blobStore(blobs.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, CREDENTIAL)
                .build();
        proxy.start();
        assertThat(proxy.getState()).isEqualTo("STARTED");
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (blobs != null) {
            blobs.close();
        }
    }

    @Override
    URI endpoint() {
        return endpoint;
    }

    @Override
    AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL));
    }

    @Override
    String region() {
        return REGION;
    }

    @Test
    void wrongCredentialsFail() {
        var wrong = StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, "not-the-secret"));
        S3Settings settings = new S3Settings(bucket, "p", Optional.of(endpoint), REGION, true);
        try (S3Store store = S3Store.open(settings, wrong, S3Store.Timeouts.DEFAULT)) {
            assertThatThrownBy(() -> store.put(ID, BYTES, "image/png"))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED));
        }
    }

    @Test
    void aClosedPortFailsFast() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        S3Settings settings = new S3Settings("b", "p", Optional.of(URI.create("http://127.0.0.1:" + closedPort)),
                REGION, true);
        try (S3Store store = S3Store.open(settings, credentials(), S3Store.Timeouts.DEFAULT)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.fetch(ID))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED));
            assertThatThrownBy(store::check).isInstanceOf(StoreException.class);
            // Refused connections are retried a couple of times with short back-offs, not waited out.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        // A listening socket that never accepts: connections complete in the kernel's backlog
        // and the request is sent, but no byte ever comes back.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            S3Settings settings = new S3Settings("b", "p",
                    Optional.of(URI.create("http://127.0.0.1:" + silent.getLocalPort())), REGION, true);
            var timeouts = new S3Store.Timeouts(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(250),
                    Duration.ofMillis(500));
            try (S3Store store = S3Store.open(settings, credentials(), timeouts)) {
                assertThatThrownBy(() -> store.fetch(ID))
                        .isInstanceOfSatisfying(StoreException.class,
                                e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.TIMEOUT));
                assertThatThrownBy(store::check)
                        .isInstanceOfSatisfying(StoreException.class,
                                e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.TIMEOUT));
            }
        }
    }
}
