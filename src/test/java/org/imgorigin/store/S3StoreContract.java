package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
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
                .build();
        raw.createBucket(r -> r.bucket(bucket));
    }

    @AfterEach
    void closeRawClient() {
        raw.close();
    }

    S3Store store(String bucket, String prefix) {
        S3Settings settings = new S3Settings(bucket, prefix, Optional.of(endpoint()), region(), true);
        return S3Store.open(settings, credentials(), S3Store.Timeouts.DEFAULT);
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
