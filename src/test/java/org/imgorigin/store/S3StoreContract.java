package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What every S3 protocol server must show of {@link S3Store}, checked from outside with a
 * plain client. Subclasses start a server and say where it is; each test gets a fresh bucket.
 */
abstract class S3StoreContract {
    static final ImageId ID = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");
    static final ImageId OTHER = new ImageId("3972b1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    static final byte[] BYTES = "not really a png".getBytes(StandardCharsets.UTF_8);
    /** The smallest parts S3 allows, and a threshold just above one part, so a test moves 6 MiB, not 16. */
    static final S3Store.Parts SMALL_PARTS = new S3Store.Parts(6 << 20, S3Store.Parts.MIN_SIZE);
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    String bucket;
    S3Client raw;

    abstract URI endpoint();

    abstract AwsCredentialsProvider credentials();

    abstract String region();

    @BeforeEach
    void createBucket() {
        bucket = "originals-" + BUCKETS.incrementAndGet();
        raw = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(endpoint())
                .credentialsProvider(credentials())
                .region(Region.of(region()))
                .forcePathStyle(true)
                // As in S3Store: the SDK's default checksum headers are more than S3Proxy implements.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
        raw.createBucket(r -> r.bucket(bucket));
    }

    @AfterEach
    void closeRawClient() {
        raw.close();
    }

    S3Store store(String bucket, String prefix) {
        return store(bucket, prefix, S3Store.Parts.DEFAULT);
    }

    S3Store store(String bucket, String prefix, S3Store.Parts parts) {
        S3Settings settings = new S3Settings(bucket, prefix, Optional.of(endpoint()), region(), true);
        return S3Store.open(settings, credentials(), S3Store.Timeouts.DEFAULT, parts);
    }

    /** Bytes that differ from part to part, so a part stored twice or out of order shows. */
    static byte[] body(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    /** The ETag S3 gives an object assembled from n parts ends in {@code -n}; a single PUT's has no dash. */
    static String partCount(HeadObjectResponse head) {
        String eTag = head.eTag().replace("\"", "");
        int dash = eTag.lastIndexOf('-');
        return dash < 0 ? "single" : eTag.substring(dash + 1);
    }

    @Test
    void putFetchExistsDeleteRoundTripUnderThePrefix() throws Exception {
        try (S3Store store = store(bucket, "imgorigin/originals")) {
            store.put(ID, BYTES, "image/png");

            String key = "imgorigin/originals/3972/b1/" + ID.value();
            assertThat(raw.listObjectsV2(r -> r.bucket(bucket)).contents()).extracting(S3Object::key)
                    .containsExactly(key);
            HeadObjectResponse head = raw.headObject(r -> r.bucket(bucket).key(key));
            assertThat(head.contentType()).isEqualTo("image/png");
            assertThat(head.contentLength()).isEqualTo(BYTES.length);

            assertThat(store.exists(ID)).isTrue();
            assertThat(store.fetch(ID)).hasValueSatisfying(original -> {
                assertThat(original.bytes()).isEqualTo(BYTES);
                assertThat(original.contentType()).isEqualTo("image/png");
            });

            assertThat(store.delete(ID)).isTrue();
            assertThat(raw.listObjectsV2(r -> r.bucket(bucket)).contents()).isEmpty();
            assertThat(store.exists(ID)).isFalse();
            assertThat(store.fetch(ID)).isEmpty();
            assertThat(store.delete(ID)).isFalse();
        }
    }

    @Test
    void aBodyOverTheThresholdGoesUpInPartsAsOneObject() throws Exception {
        byte[] body = body(SMALL_PARTS.threshold() + 1);
        try (S3Store store = store(bucket, "p", SMALL_PARTS)) {
            store.put(ID, body, "image/tiff");

            String key = "p/3972/b1/" + ID.value();
            assertThat(raw.listObjectsV2(r -> r.bucket(bucket)).contents()).extracting(S3Object::key)
                    .containsExactly(key);
            HeadObjectResponse head = raw.headObject(r -> r.bucket(bucket).key(key));
            assertThat(head.contentType()).isEqualTo("image/tiff");
            assertThat(head.contentLength()).isEqualTo(body.length);
            // 5 MiB and then 1 MiB + 1 byte.
            assertThat(partCount(head)).isEqualTo("2");
            assertThat(raw.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray()).isEqualTo(body);
            assertThat(raw.listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();

            assertThat(store.fetch(ID)).hasValueSatisfying(original -> {
                assertThat(original.bytes()).isEqualTo(body);
                assertThat(original.contentType()).isEqualTo("image/tiff");
            });
        }
    }

    @Test
    void aBodyAtTheThresholdIsASinglePut() throws Exception {
        byte[] body = body(SMALL_PARTS.threshold());
        try (S3Store store = store(bucket, "p", SMALL_PARTS)) {
            store.put(ID, body, "image/tiff");

            String key = "p/3972/b1/" + ID.value();
            HeadObjectResponse head = raw.headObject(r -> r.bucket(bucket).key(key));
            assertThat(partCount(head)).isEqualTo("single");
            assertThat(head.contentType()).isEqualTo("image/tiff");
            assertThat(raw.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray()).isEqualTo(body);
        }
    }

    @Test
    void withoutAPrefixKeysStartAtTheBucketRoot() throws Exception {
        try (S3Store store = store(bucket, "")) {
            store.put(ID, BYTES, "image/webp");

            assertThat(raw.listObjectsV2(r -> r.bucket(bucket)).contents()).extracting(S3Object::key)
                    .containsExactly("3972/b1/" + ID.value());
            assertThat(store.fetch(ID)).hasValueSatisfying(
                    original -> assertThat(original.contentType()).isEqualTo("image/webp"));
        }
    }

    @Test
    void aMissingIdIsEmptyNotAnError() throws Exception {
        try (S3Store store = store(bucket, "p")) {
            store.put(ID, BYTES, "image/png");

            assertThat(store.fetch(OTHER)).isEmpty();
            assertThat(store.exists(OTHER)).isFalse();
            assertThat(store.delete(OTHER)).isFalse();
            assertThat(store.exists(ID)).isTrue();
        }
    }

    @Test
    void checkPassesOnAnExistingBucket() throws Exception {
        try (S3Store store = store(bucket, "p")) {
            store.check();
        }
    }

    @Test
    void aMissingBucketFailsRatherThanLookingEmpty() {
        try (S3Store store = store(bucket + "-missing", "p")) {
            assertThatThrownBy(store::check)
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED))
                    .hasMessageContaining("does not exist");
            assertThatThrownBy(() -> store.fetch(ID))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED));
        }
    }
}
