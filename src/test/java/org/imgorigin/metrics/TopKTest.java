package org.imgorigin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKTest {
    @Test
    void findsTheHeavyHittersAmongAMillionIdsInBoundedMemory() {
        TopK top = new TopK(64);
        Random random = new Random(42);
        // 5 hot ids take 25% of 1,000,000 requests; the rest is a long tail of 500,000 ids.
        for (int i = 0; i < 1_000_000; i++) {
            if (random.nextInt(4) == 0) {
                top.add("hot-" + random.nextInt(5));
            } else {
                top.add("tail-" + random.nextInt(500_000));
            }
        }
        assertThat(top.size()).isEqualTo(64);
        assertThat(top.top(5)).extracting(TopK.Entry::key)
                .containsExactlyInAnyOrder("hot-0", "hot-1", "hot-2", "hot-3", "hot-4");
        // Each hot id was asked ~50,000 times; the estimate is within its stated error bound.
        for (TopK.Entry e : top.top(5)) {
            assertThat(e.count() - e.error()).isLessThanOrEqualTo(e.count()).isGreaterThan(40_000);
        }
    }

    @Test
    void exactWhileUnderCapacity() {
        TopK top = new TopK(10);
        for (int i = 0; i < 3; i++) {
            top.add("a");
        }
        top.add("b");
        assertThat(top.top(10)).containsExactly(new TopK.Entry("a", 3, 0), new TopK.Entry("b", 1, 0));
    }
}
