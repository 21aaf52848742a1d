package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.MultipartPart;
import org.jclouds.blobstore.domain.MultipartUpload;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.jclouds.io.Payload;
import org.junit.jupiter.api.AfterEach;
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
    /** A second server over the same blobs that fails where a test says; the raw client sees the outcome. */
    private static FaultyBlobStore faulty;
    private static S3Proxy faultyProxy;
    private static URI faultyEndpoint;

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

        faulty = new FaultyBlobStore(blobs.getBlobStore());
        faultyProxy = S3Proxy.builder()
                .blobStore(faulty)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, CREDENTIAL)
                .build();
        faultyProxy.start();
        assertThat(faultyProxy.getState()).isEqualTo("STARTED");
        faultyEndpoint = URI.create("http://127.0.0.1:" + faultyProxy.getPort());
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (faultyProxy != null) {
            faultyProxy.stop();
        }
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

    @AfterEach
    void healTheFaultyServer() {
        faulty.fault.set(Fault.NONE);
        faulty.release.countDown();
    }

    @Test
    void pendingUploadsAreListed() {
        // Without this, "no upload is listed" below would prove nothing.
        String key = "p/3972/b1/" + ID.value();
        String uploadId = raw.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
        assertThat(pendingUploads()).containsExactly(uploadId);
        raw.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
        assertThat(pendingUploads()).isEmpty();
    }

    @Test
    void aFailedPartAbortsTheUpload() {
        faulty.fault.set(Fault.SECOND_PART_FAILS);
        try (S3Store store = faultyStore()) {
            assertThatThrownBy(() -> store.put(ID, body(SMALL_PARTS.threshold() + 1), "image/tiff"))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED))
                    .hasMessageStartingWith("UploadPart ");
        }
        assertNothingStored();
    }

    @Test
    void aFailedCompletionAbortsTheUpload() {
        faulty.fault.set(Fault.COMPLETION_FAILS);
        try (S3Store store = faultyStore()) {
            assertThatThrownBy(() -> store.put(ID, body(SMALL_PARTS.threshold() + 1), "image/tiff"))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED))
                    .hasMessageStartingWith("CompleteMultipartUpload ");
        }
        assertNothingStored();
    }

    @Test
    void anInterruptedUploadIsAbortedAndStaysInterrupted() throws Exception {
        faulty.fault.set(Fault.SECOND_PART_HANGS);
        var failure = new AtomicReference<Throwable>();
        var stillInterrupted = new AtomicBoolean();
        try (S3Store store = faultyStore()) {
            // A virtual thread, like the callers': its socket I/O gives way to an interrupt.
            Thread putter = Thread.ofVirtual().start(() -> {
                try {
                    store.put(ID, body(SMALL_PARTS.threshold() + 1), "image/tiff");
                } catch (Throwable e) {
                    failure.set(e);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            assertThat(faulty.reached.await(10, TimeUnit.SECONDS)).isTrue();
            putter.interrupt();
            assertThat(putter.join(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(failure.get()).isInstanceOf(StoreException.class);
        assertThat(stillInterrupted).isTrue();
        assertNothingStored();
    }

    @Test
    void aFailedStartOfAnUploadFails() {
        S3Settings settings = new S3Settings(bucket + "-missing", "p", Optional.of(endpoint), REGION, true);
        try (S3Store store = S3Store.open(settings, credentials(), S3Store.Timeouts.DEFAULT, SMALL_PARTS)) {
            assertThatThrownBy(() -> store.put(ID, body(SMALL_PARTS.threshold() + 1), "image/tiff"))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED))
                    .hasMessageStartingWith("CreateMultipartUpload ");
        }
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

    private S3Store faultyStore() {
        S3Settings settings = new S3Settings(bucket, "p", Optional.of(faultyEndpoint), REGION, true);
        return S3Store.open(settings, credentials(), S3Store.Timeouts.DEFAULT, SMALL_PARTS);
    }

    private List<String> pendingUploads() {
        return raw.listMultipartUploads(r -> r.bucket(bucket)).uploads().stream()
                .map(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId)
                .toList();
    }

    private void assertNothingStored() {
        assertThat(raw.listObjectsV2(r -> r.bucket(bucket)).contents()).isEmpty();
        assertThat(pendingUploads()).isEmpty();
    }

    private enum Fault { NONE, SECOND_PART_FAILS, SECOND_PART_HANGS, COMPLETION_FAILS }

    /** Fails one step of a multipart upload, after the steps before it have stored their parts. */
    private static final class FaultyBlobStore extends ForwardingBlobStore {
        final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        FaultyBlobStore(BlobStore blobs) {
            super(blobs);
        }

        @Override
        public MultipartPart uploadMultipartPart(MultipartUpload upload, int number, Payload payload) {
            if (number == 2 && fault.get() == Fault.SECOND_PART_FAILS) {
                throw new IllegalStateException("injected: part 2 fails");
            }
            if (number == 2 && fault.get() == Fault.SECOND_PART_HANGS) {
                reached.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // Never store the part: the upload has been aborted by now.
                throw new IllegalStateException("injected: part 2 hung");
            }
            return super.uploadMultipartPart(upload, number, payload);
        }

        @Override
        public String completeMultipartUpload(MultipartUpload upload, List<MultipartPart> parts) {
            if (fault.get() == Fault.COMPLETION_FAILS) {
                throw new IllegalStateException("injected: completion fails");
            }
            return super.completeMultipartUpload(upload, parts);
        }
    }
}
