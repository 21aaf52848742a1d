package org.imgorigin.vips;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Decoded pixels that outlive the scope that made them ({@link VipsScope#keep}): their memory
 * lasts exactly as long as a lease on it, views from other scopes (and threads) read the same
 * pixels, a killed view stops only its own pipeline, and what is not 8-bit without alpha is
 * refused.
 */
class PixelsTest {
    private static final byte[] PHOTO = photo();

    private static byte[] photo() {
        try {
            return LoaderPolicyTest.resource("/images/photo.jpg");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The photo decoded at 300×169, kept; leased once more than its scope holds. */
    private static Pixels keptPhoto() {
        try (VipsScope scope = Vips.scope()) {
            MemorySegment buffer = scope.buffer(PHOTO);
            Pixels pixels = scope.keep(scope.thumbnail(buffer, 300, 169, VipsScope.Size.FORCE, false));
            assertThat(pixels.lease()).isTrue();
            return pixels;
        }
    }

    private static byte[] grey(Pixels pixels) {
        try (VipsScope scope = Vips.scope()) {
            return scope.greyPixels(scope.view(pixels).orElseThrow());
        }
    }

    @Test
    void aLeaseKeepsThemAfterTheirScopeAndTheLastOneFreesThem() {
        Pixels pixels = keptPhoto();
        assertThat(pixels.held()).as("leased beyond the scope that made them").isTrue();
        assertThat(pixels.width() + "x" + pixels.height()).isEqualTo("300x169");
        assertThat(pixels.bytes()).isEqualTo(300L * 169 * 3);
        byte[] expected;
        try (VipsScope scope = Vips.scope()) {
            expected = scope.greyPixels(scope.thumbnail(scope.buffer(PHOTO), 300, 169, VipsScope.Size.FORCE, false));
        }
        assertThat(grey(pixels)).as("a view in another scope reads the same pixels").isEqualTo(expected);
        assertThat(pixels.held()).as("the view's lease ended with its scope, not the holder's").isTrue();

        try (VipsScope scope = Vips.scope()) {
            VipsImage view = scope.view(pixels).orElseThrow();
            pixels.release(); // the holder lets go while a pipeline still reads them
            assertThat(pixels.held()).as("still leased by the open view").isTrue();
            assertThat(scope.greyPixels(view)).isEqualTo(expected);
        }
        assertThat(pixels.held()).as("the last lease freed them").isFalse();
        assertThat(pixels.lease()).as("no lease on freed memory").isFalse();
        try (VipsScope scope = Vips.scope()) {
            assertThat(scope.view(pixels)).isEmpty();
        }
        assertThatThrownBy(pixels::release).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void manyThreadsReadOneCopyAndAKilledViewStopsOnlyItsOwnPipeline() throws Exception {
        Pixels pixels = keptPhoto();
        byte[] expected = grey(pixels);
        try (VipsScope killed = Vips.scope()) {
            VipsImage view = killed.view(pixels).orElseThrow();
            killed.kill();
            assertThatThrownBy(() -> killed.greyPixels(view)).isInstanceOf(VipsException.class);
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                reads.add(threads.submit(() -> grey(pixels)));
            }
            for (Future<byte[]> read : reads) {
                assertThat(read.get()).isEqualTo(expected);
            }
        } finally {
            threads.shutdown();
        }
        pixels.release();
        assertThat(pixels.held()).isFalse();
    }

    @Test
    void onlyEightBitImagesWithoutAlphaAreKept() throws Exception {
        try (VipsScope scope = Vips.scope()) {
            VipsImage alpha = scope.thumbnail(scope.buffer(LoaderPolicyTest.resource("/images/alpha.png")), 50, 50,
                    VipsScope.Size.FORCE, false);
            assertThat(alpha.hasAlpha()).isTrue();
            assertThatThrownBy(() -> scope.keep(alpha)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
