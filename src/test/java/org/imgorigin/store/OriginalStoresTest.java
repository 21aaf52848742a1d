package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OriginalStoresTest {
    @TempDir
    Path tmp;

    @Test
    void fileWithAnAbsolutePath() {
        Path root = tmp.resolve("originals");
        try (OriginalStore store = OriginalStores.open("file:" + root, Optional.empty(), "us-east-1", false)) {
            assertThat(store).isInstanceOf(FileStore.class);
            assertThat(store.describe()).isEqualTo("file:" + root);
            assertThat(root).isDirectory();
        }
    }

    @Test
    void fileWithAUri() {
        Path root = tmp.resolve("originals");
        try (OriginalStore store = OriginalStores.open(root.toUri().toString(), Optional.empty(), "us-east-1", false)) {
            assertThat(store.describe()).isEqualTo("file:" + root);
        }
    }

    @Test
    void fileWithARelativePathResolvesAgainstTheWorkingDirectory() {
        // target/ is the build's own scratch space, so creating a directory there is harmless.
        try (OriginalStore store = OriginalStores.open("file:target/store-test-originals", Optional.empty(), "us-east-1",
                false)) {
            assertThat(store.describe())
                    .isEqualTo("file:" + Path.of("target/store-test-originals").toAbsolutePath().normalize());
        }
    }

    @Test
    void s3() {
        try (OriginalStore store = OriginalStores.open("s3://bucket/a/b", Optional.of("http://127.0.0.1:9000"),
                "eu-west-1", true)) {
            assertThat(store).isInstanceOf(S3Store.class);
            assertThat(store.describe()).isEqualTo("s3://bucket/a/b at http://127.0.0.1:9000");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "./data", "/srv/originals", "http://bucket", "S3://bucket", "s3:/bucket", "file:",
            "file://host/x", "gs://bucket"})
    void anythingElseNamesTheVariable(String url) {
        assertThatThrownBy(() -> OriginalStores.open(url, Optional.empty(), "us-east-1", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("IMGORIGIN_ORIGINALS");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            s3://bucket          | bucket      | ''
            s3://bucket/         | bucket      | ''
            s3://bucket/a        | bucket      | a
            s3://bucket/a/b/     | bucket      | a/b
            s3://my_bucket.x/p   | my_bucket.x | p
            """)
    void s3Settings(String url, String bucket, String prefix) {
        S3Settings settings = S3Settings.parse(url, Optional.empty(), "us-east-1", false);

        assertThat(settings).isEqualTo(new S3Settings(bucket, prefix, Optional.empty(), "us-east-1", false));
        assertThat(settings.key("3972/b1/3972b1")).isEqualTo(prefix.isEmpty() ? "3972/b1/3972b1" : prefix + "/3972/b1/3972b1");
    }

    @Test
    void s3SettingsKeepTheEndpointAndAddressing() {
        S3Settings settings = S3Settings.parse("s3://b/p", Optional.of("http://minio:9000"), "eu-west-1", true);

        assertThat(settings.endpoint()).contains(URI.create("http://minio:9000"));
        assertThat(settings.region()).isEqualTo("eu-west-1");
        assertThat(settings.pathStyle()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            s3://              | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            s3:///p            | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            s3://b//p          | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            s3://b/a//p        | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            s3://b c           | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            file:/x            | http://h  | us-east-1 | IMGORIGIN_ORIGINALS
            s3://b             | minio     | us-east-1 | IMGORIGIN_S3_ENDPOINT
            s3://b             | ftp://h   | us-east-1 | IMGORIGIN_S3_ENDPOINT
            s3://b             | http://a b| us-east-1 | IMGORIGIN_S3_ENDPOINT
            s3://b             | http://h  | ' '       | IMGORIGIN_S3_REGION
            """)
    void badS3SettingsNameTheVariable(String url, String endpoint, String region, String variable) {
        assertThatThrownBy(() -> S3Settings.parse(url, Optional.of(endpoint), region, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(variable);
    }
}
