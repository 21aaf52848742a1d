package org.imgorigin.vips;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * libvips' error buffer is one for the whole process. Failing decodes on several threads at
 * once each get a {@link VipsException} with a non-empty detail, and nothing else escapes,
 * while successful decodes run alongside (they write to the buffer too: libheif's "bad
 * seek" on every AVIF). Which thread's text each one gets is not promised (see
 * {@link Native#takeError()}); the test prints how often a detail was the placeholder or
 * carried more than one failure's text.
 */
class ErrorBufferTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 150;

    @Test
    void concurrentFailingDecodesEachGetAMessageAndNothingElseEscapes() throws Exception {
        byte[] photo = LoaderPolicyTest.resource("/images/photo.jpg");
        byte[] avif = LoaderPolicyTest.avif();
        List<byte[]> bad = List.of(
                concat(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, new byte[500]), // JPEG SOI then zeros
                Arrays.copyOf(LoaderPolicyTest.resource("/images/alpha.png"), 30), // PNG cut in its IHDR
                Arrays.copyOf(LoaderPolicyTest.resource("/images/small.webp"), 20), // WebP cut after its header
                "GIF89a=1;alert(1)".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                LoaderPolicyTest.blocked("svg")); // a blocked loader
        ConcurrentLinkedQueue<String> details = new ConcurrentLinkedQueue<>();
        AtomicInteger unexpectedSuccesses = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        Vips.init();
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < ROUNDS; i++) {
                        // One thread in four decodes good images between the failures of the others.
                        if (thread % 4 == 3) {
                            try (VipsScope scope = Vips.scope()) {
                                scope.header(scope.buffer(i % 2 == 0 ? photo : avif));
                            }
                            continue;
                        }
                        byte[] input = bad.get((thread + i) % bad.size());
                        try (VipsScope scope = Vips.scope()) {
                            var buffer = scope.buffer(input);
                            if (i % 2 == 0) {
                                scope.header(buffer);
                            } else {
                                scope.thumbnail(buffer, 32, 32, VipsScope.Size.BOTH, false);
                            }
                            unexpectedSuccesses.incrementAndGet();
                        } catch (VipsException e) {
                            details.add(e.detail());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(); // rethrows anything but a VipsException
            }
        }
        assertThat(unexpectedSuccesses).hasValue(0);
        assertThat(details).hasSize(THREADS / 4 * 3 * ROUNDS);
        assertThat(details).allSatisfy(detail -> assertThat(detail).isNotBlank());
        long placeholders = details.stream().filter(Native.NO_MESSAGE::equals).count();
        long mixed = details.stream().filter(d -> d.lines().count() > 3).count();
        System.out.printf("ErrorBufferTest: %d failures on %d threads: %d placeholders, %d with over 3 lines%n",
                details.size(), THREADS, placeholders, mixed);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
