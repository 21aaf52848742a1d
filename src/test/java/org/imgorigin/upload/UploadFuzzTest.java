package org.imgorigin.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.store.Original;
import org.imgorigin.store.OriginalStore;

/**
 * Fuzzing of the upload path without a server: the bytes go into a {@link Receiver} in chunks of
 * varying size (1 to 31 bytes, so the 16-byte sniff falls in every position of a chunk), then
 * {@link Receiver#finish()} and {@link Ingest#ingest} into a store in memory. The only answers
 * allowed are an {@link UploadException} with a 4xx status, or a stored original whose id is the
 * bytes' hash, whose format is what the first 16 bytes sniff as, and whose pixels are within the
 * limit. Seeds are shared with {@code DecodeFuzzTest}. Fuzzing: {@code JAZZER_FUZZ=1 mvn -B verify
 * -Dtest='UploadFuzzTest#upload' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class UploadFuzzTest {
    private static final long MAX_BYTES = 256 * 1024;
    private static final long MAX_PIXELS = 1_000_000L;
    private static final MemoryStore STORE = new MemoryStore();
    private static final Ingest INGEST = new Ingest(STORE,
            new Renderer(new RenderLimits(MAX_PIXELS, 512, MAX_PIXELS, 0, Duration.ofSeconds(2))));

    @FuzzTest(maxDuration = "2m")
    void upload(byte[] input) throws Exception {
        Receiver receiver = new Receiver(MAX_BYTES);
        Receiver.Body body;
        try {
            int step = input.length == 0 ? 0 : input[input.length - 1] & 0xFF;
            for (int offset = 0, i = 0; offset < input.length; i++) {
                int size = Math.min(input.length - offset, 1 + (step + 7 * i) % 31);
                receiver.append(Arrays.copyOfRange(input, offset, offset + size));
                offset += size;
            }
            body = receiver.finish();
        } catch (UploadException e) {
            assertThat(e.status()).as(e.getMessage()).isIn(400, 413, 415);
            return;
        }
        assertThat(body.bytes()).isEqualTo(input);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
        assertThat(body.id().value()).isEqualTo(sha.substring(0, 40));
        assertThat(Optional.of(body.format())).isEqualTo(ImageFormat.sniff(Arrays.copyOf(input, 16)));

        Ingest.Stored stored;
        try {
            stored = INGEST.ingest(body);
        } catch (UploadException e) {
            assertThat(e.status()).as(e.getMessage()).isBetween(400, 499);
            assertThat(STORE.objects).doesNotContainKey(body.id());
            return;
        }
        assertThat(stored.id()).isEqualTo(body.id());
        assertThat(stored.info().format()).isEqualTo(body.format());
        assertThat(stored.info().pixels()).isBetween(1L, MAX_PIXELS);
        assertThat(STORE.objects.get(body.id())).isEqualTo(input);
        STORE.objects.clear(); // the next input starts from an empty store
    }

    /** Originals in a map: the fuzzer's inputs never touch the disk. */
    private static final class MemoryStore implements OriginalStore {
        final Map<ImageId, byte[]> objects = new ConcurrentHashMap<>();

        @Override
        public Optional<Original> fetch(ImageId id, SizeGate gate) {
            return Optional.ofNullable(objects.get(id)).map(b -> new Original(b, "application/octet-stream"));
        }

        @Override
        public boolean exists(ImageId id) {
            return objects.containsKey(id);
        }

        @Override
        public void put(ImageId id, byte[] bytes, String contentType) {
            objects.put(id, bytes.clone());
        }

        @Override
        public boolean delete(ImageId id) {
            return objects.remove(id) != null;
        }

        @Override
        public void append(String name) {
        }

        @Override
        public java.util.List<String> entries(String startAfter, int max) {
            return java.util.List.of();
        }

        @Override
        public void removeEntry(String name) {
        }

        @Override
        public void check() {
        }

        @Override
        public String describe() {
            return "memory";
        }
    }
}
