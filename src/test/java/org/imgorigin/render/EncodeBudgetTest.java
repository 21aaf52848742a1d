package org.imgorigin.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.imgorigin.image.ImageFormat;
import org.junit.jupiter.api.Test;

class EncodeBudgetTest {
    private final EncodeBudget defaults = new EncodeBudget(RenderLimits.DEFAULTS);
    private final EncodeBudget twoSeconds =
            new EncodeBudget(new RenderLimits(50_000_000L, 8192, 40_000_000L, 2, Duration.ofSeconds(2)));

    @Test
    void tileByTileEncodersAreBoundOnlyByTheOutputPixelLimit() throws Exception {
        assertThat(twoSeconds.maxPixels(ImageFormat.JPEG)).isEqualTo(Long.MAX_VALUE);
        assertThat(twoSeconds.maxPixels(ImageFormat.PNG)).isEqualTo(Long.MAX_VALUE);
        twoSeconds.checkPlan(ImageFormat.PNG, 49_000_000L); // a 49 MP original at its own size
        assertThat(twoSeconds.checkBeforeEncoding(ImageFormat.JPEG, 40_000_000L)).isFalse();
    }

    @Test
    void wholeFrameEncodersGetACapThatFitsTheirEncodeInTheLimitPlusTheGrace() {
        for (EncodeBudget budget : new EncodeBudget[] {defaults, twoSeconds}) {
            for (ImageFormat f : new ImageFormat[] {ImageFormat.AVIF, ImageFormat.GIF, ImageFormat.WEBP,
                    ImageFormat.JXL}) {
                assertThat(EncodeBudget.wholeFrame(f)).as(f.name()).isTrue();
                long max = budget.maxPixels(f);
                assertThat(max).isPositive();
                assertThat(budget.seconds(f, max)).isLessThanOrEqualTo(budget.seconds(f, max + 1));
            }
        }
        // At the defaults (10 s), AVIF at effort 0 and WebP reach the 40 MP limit; GIF does not.
        assertThat(defaults.maxPixels(ImageFormat.AVIF)).isGreaterThanOrEqualTo(40_000_000L);
        assertThat(defaults.maxPixels(ImageFormat.WEBP)).isGreaterThanOrEqualTo(40_000_000L);
        assertThat(defaults.maxPixels(ImageFormat.GIF)).isBetween(5_000_000L, 15_000_000L);
        assertThat(twoSeconds.maxPixels(ImageFormat.AVIF)).isBetween(5_000_000L, 20_000_000L);
    }

    @Test
    void anOutputPastTheFormatsCapIs400NamingTheLimit() {
        assertThatThrownBy(() -> twoSeconds.checkPlan(ImageFormat.AVIF, 36_000_000L))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("IMGORIGIN_RENDER_TIMEOUT")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
    }

    @Test
    void largeAvifIsEncodedAtEffortZero() {
        assertThat(defaults.avifEffort(EncodeBudget.AVIF_FULL_EFFORT_PIXELS)).isEqualTo(2);
        assertThat(defaults.avifEffort(EncodeBudget.AVIF_FULL_EFFORT_PIXELS + 1)).isZero();
        // Under a 2 s limit the configured effort may take at most a second.
        assertThat(twoSeconds.avifEffort(1_000_000L)).isEqualTo(2);
        assertThat(twoSeconds.avifEffort(2_000_000L)).isZero();
    }

    /**
     * JPEG XL, like AVIF, keeps its better effort only where it is cheap enough: up to 4 MP, and
     * under a short limit only while the estimate takes at most half of it. Past that, effort 3,
     * which lets a default server still encode outputs of over 30 MP within its 10 s.
     */
    @Test
    void largeJpegXlIsEncodedAtTheFastEffort() throws Exception {
        assertThat(defaults.jxlEffort(EncodeBudget.JXL_FULL_EFFORT_PIXELS)).isEqualTo(EncodeBudget.JXL_EFFORT);
        assertThat(defaults.jxlEffort(EncodeBudget.JXL_FULL_EFFORT_PIXELS + 1)).isEqualTo(EncodeBudget.JXL_FAST_EFFORT);
        assertThat(defaults.effort(ImageFormat.JXL, 1_000_000L)).isEqualTo(5);
        assertThat(defaults.effort(ImageFormat.AVIF, 1_000_000L)).isEqualTo(2);
        assertThat(defaults.effort(ImageFormat.WEBP, 1_000_000L)).isZero();
        assertThat(twoSeconds.jxlEffort(1_000_000L)).isEqualTo(5);
        assertThat(twoSeconds.jxlEffort(2_000_000L)).isEqualTo(3);
        assertThat(defaults.maxPixels(ImageFormat.JXL)).isBetween(30_000_000L, 40_000_000L);
        defaults.checkPlan(ImageFormat.JXL, 30_000_000L);
        assertThatThrownBy(() -> twoSeconds.checkPlan(ImageFormat.JXL, 20_000_000L))
                .isInstanceOf(RenderException.class)
                .hasMessageContaining("JXL")
                .extracting(e -> ((RenderException) e).status()).isEqualTo(400);
        // A frame whose encode could outlast the grace is made first, then the time left checked.
        assertThat(defaults.checkBeforeEncoding(ImageFormat.JXL, 4_000_000L)).isTrue();
        assertThat(defaults.checkBeforeEncoding(ImageFormat.JXL, 300_000L)).isFalse();
    }

    @Test
    void tooLittleTimeLeftIs503() {
        long anHourAgo = System.nanoTime() - Duration.ofHours(1).toNanos();
        assertThatThrownBy(() -> defaults.checkTimeLeft(ImageFormat.WEBP, 1_000_000L, anHourAgo))
                .isInstanceOf(RenderException.class)
                .extracting(e -> ((RenderException) e).status()).isEqualTo(503);
    }
}
