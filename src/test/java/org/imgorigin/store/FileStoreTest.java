package org.imgorigin.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.imgorigin.image.ImageId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {
    private static final ImageId ID = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");
    private static final ImageId OTHER = new ImageId("3972b1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    private static final byte[] BYTES = "not really a png".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void putFetchExistsDeleteRoundTripAtTheStorageKey() throws Exception {
        Path root = tmp.resolve("originals");
        FileStore store = FileStore.open(root);

        store.put(ID, BYTES, "image/png");

        Path expected = root.resolve("3972").resolve("b1").resolve(ID.value());
        assertThat(expected).isRegularFile().hasBinaryContent(BYTES);
        assertThat(store.exists(ID)).isTrue();
        assertThat(store.fetch(ID)).hasValueSatisfying(original -> {
            assertThat(original.bytes()).isEqualTo(BYTES);
            assertThat(original.contentType()).isEqualTo("application/octet-stream");
        });

        assertThat(store.delete(ID)).isTrue();
        assertThat(expected).doesNotExist();
        assertThat(store.exists(ID)).isFalse();
        assertThat(store.fetch(ID)).isEmpty();
        assertThat(store.delete(ID)).isFalse();
    }

    @Test
    void aMissingIdIsEmptyNotAnError() throws Exception {
        FileStore store = FileStore.open(tmp);
        store.put(ID, BYTES, "image/png");

        assertThat(store.fetch(OTHER)).isEmpty();
        assertThat(store.exists(OTHER)).isFalse();
        assertThat(store.delete(OTHER)).isFalse();
    }

    @Test
    void putLeavesOnlyTheOriginalBehind() throws Exception {
        FileStore store = FileStore.open(tmp);
        store.put(ID, BYTES, "image/png");
        store.put(OTHER, BYTES, "image/png");

        assertThat(filesUnder(tmp)).containsExactlyInAnyOrder(
                Path.of("3972", "b1", ID.value()), Path.of("3972", "b1", OTHER.value()));
    }

    @Test
    void putOfAStoredIdLeavesTheFileAlone() throws Exception {
        FileStore store = FileStore.open(tmp);
        store.put(ID, BYTES, "image/png");
        Path file = tmp.resolve(ID.storageKey());
        FileTime past = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(file, past);
        Object inode = Files.readAttributes(file, BasicFileAttributes.class).fileKey();

        store.put(ID, "other bytes".getBytes(StandardCharsets.UTF_8), "image/png");

        assertThat(file).hasBinaryContent(BYTES);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(past);
        assertThat(Files.readAttributes(file, BasicFileAttributes.class).fileKey()).isEqualTo(inode);
        assertThat(filesUnder(tmp)).hasSize(1);
    }

    @Test
    void openCreatesTheRootAndCheckPasses() throws Exception {
        Path root = tmp.resolve("a/b/c");
        FileStore store = FileStore.open(root);

        assertThat(root).isDirectory();
        store.check();
        assertThat(store.describe()).isEqualTo("file:" + root.toAbsolutePath());
    }

    @Test
    void checkFailsWhenTheRootIsGone() throws Exception {
        Path root = tmp.resolve("originals");
        FileStore store = FileStore.open(root);
        Files.delete(root);

        assertThatThrownBy(store::check)
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED))
                .hasMessageContaining("does not exist");
    }

    @Test
    void checkAndPutFailWhenTheRootCannotBeADirectory() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        FileStore store = FileStore.open(notADirectory.resolve("originals"));

        assertThatThrownBy(store::check)
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED));
        assertThatThrownBy(() -> store.put(ID, BYTES, "image/png"))
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.FAILED));
    }

    @Test
    void checkFailsOnAReadOnlyRoot() throws Exception {
        // Permission bits do not bind root, so this can only be observed as another user.
        assumeFalse("root".equals(System.getProperty("user.name")), "running as root");
        Path root = tmp.resolve("originals");
        FileStore store = FileStore.open(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertThatThrownBy(store::check)
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("not writable");
        } finally {
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void keysCannotLeaveTheRoot() {
        FileStore store = FileStore.open(tmp.resolve("originals"));

        for (String key : List.of("../escape", "3972/../../escape", "/etc/passwd", ".", "")) {
            assertThatThrownBy(() -> store.pathOf(key)).as(key).isInstanceOf(StoreException.class);
        }
    }

    private static List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(root::relativize).toList();
        }
    }
}
