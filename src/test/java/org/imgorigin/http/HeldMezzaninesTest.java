package org.imgorigin.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.MezzanineSource;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationParser;
import org.imgorigin.vips.Pixels;
import org.junit.jupiter.api.Test;

/**
 * The held mezzanines' bound: the least recently used dropped first (a new one is never turned
 * away for old ones), one lease per entry, given back when dropped, replaced or removed.
 */
class HeldMezzaninesTest {
    static final int EDGE = 800;

    /** A mezzanine of the 1200×675 photo with its pixels (800×450), leased once for the test. */
    private static Mezzanine madeWithPixels() throws Exception {
        byte[] photo;
        try (InputStream in = HeldMezzaninesTest.class.getResourceAsStream("/images/photo.jpg")) {
            photo = in.readAllBytes();
        }
        AtomicReference<Mezzanine> made = new AtomicReference<>();
        MezzanineSource making = new MezzanineSource() {
            @Override
            public int edge() {
                return EDGE;
            }

            @Override
            public Turn turn(Duration wait) {
                return new Turn.Make(m -> m.ifPresent(mezzanine -> {
                    assertThat(mezzanine.pixels().orElseThrow().lease()).isTrue();
                    made.set(mezzanine);
                }));
            }
        };
        new Renderer(RenderLimits.DEFAULTS).render(photo, TransformationParser.parse("w_300", Presets.NONE),
                ImageFormat.WEBP, Map.of(), making);
        return made.get();
    }

    private static long weight(Mezzanine m) {
        return m.pixels().orElseThrow().bytes() + m.jpegBytes();
    }

    @Test
    void theLeastRecentlyUsedGoesFirstAndEveryDroppedOneGivesItsLeaseBack() throws Exception {
        Mezzanine a = madeWithPixels();
        Mezzanine b = madeWithPixels();
        Mezzanine c = madeWithPixels();
        ImageId ia = new ImageId("a".repeat(40));
        ImageId ib = new ImageId("b".repeat(40));
        ImageId ic = new ImageId("c".repeat(40));
        HeldMezzanines held = new HeldMezzanines(weight(a) + weight(b) + weight(c) / 2);
        assertThat(held.put(ia, a)).isTrue();
        assertThat(held.put(ib, b)).isTrue();
        assertThat(held.get(ia)).contains(a); // a is now the most recently used
        assertThat(held.contains(ib)).isTrue(); // a look that does not count as a use
        assertThat(held.put(ic, c)).as("a new one is held, not turned away").isTrue();
        assertThat(held.get(ib)).as("the least recently used went").isEmpty();
        assertThat(held.get(ia)).contains(a);
        assertThat(held.bytes()).isEqualTo(weight(a) + weight(c));

        // The test's own leases: what is left is the holder's, or nothing for b.
        for (Mezzanine m : new Mezzanine[] {a, b, c}) {
            m.pixels().orElseThrow().release();
        }
        assertThat(b.pixels().orElseThrow().held()).as("dropped: freed").isFalse();
        assertThat(a.pixels().orElseThrow().held()).isTrue();

        assertThat(held.put(ia, a)).as("put again: one lease, the old one given back").isTrue();
        held.remove(ia);
        assertThat(a.pixels().orElseThrow().held()).isFalse();
        held.remove(ic);
        assertThat(c.pixels().orElseThrow().held()).isFalse();
        assertThat(held.bytes()).isZero();
        assertThat(held.put(ia, a)).as("freed pixels are not held").isFalse();
    }

    @Test
    void oneOverTheBoundOrWithoutPixelsIsNotHeld() throws Exception {
        Mezzanine m = madeWithPixels();
        HeldMezzanines small = new HeldMezzanines(weight(m) - 1);
        assertThat(small.put(new ImageId("d".repeat(40)), m)).isFalse();
        assertThat(new HeldMezzanines(0).put(new ImageId("d".repeat(40)), m)).isFalse();
        Pixels pixels = m.pixels().orElseThrow();
        pixels.release();
        assertThat(pixels.held()).as("no lease was kept by a refusal").isFalse();
        assertThat(small.bytes()).isZero();
    }
}
