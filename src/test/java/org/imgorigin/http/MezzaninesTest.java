package org.imgorigin.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imgorigin.cache.DiskLru;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.MezzanineSource;
import org.imgorigin.render.MezzanineSource.Turn;
import org.imgorigin.render.RenderLimits;
import org.imgorigin.render.Renderer;
import org.imgorigin.render.SourceInfo;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.url.Presets;
import org.imgorigin.url.TransformationParser;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mezzanine tier's turns, with time from a fake ticker: the second render makes it, a
 * render that waits for another making it waits no longer than it is told, and an original
 * whose mezzanine could not be made is not tried again until {@link Mezzanines#BACK_OFF} has
 * passed.
 */
class MezzaninesTest {
    static final int EDGE = 800;
    static final Duration RENDER_LIMIT = Duration.ofSeconds(10);

    @TempDir
    Path root;
    OriginalStore store;
    Metrics metrics;
    Mezzanines mezzanines;
    Invalidation invalidation;
    DiskLru disk;
    final AtomicLong nanos = new AtomicLong();
    final ImageId id = new ImageId("0123456789abcdef0123456789abcdef01234567");
    byte[] photo;
    Sources.Source source;

    @BeforeEach
    void setUp() throws Exception {
        try (InputStream in = MezzaninesTest.class.getResourceAsStream("/images/photo.jpg")) {
            photo = in.readAllBytes();
        }
        source = new Sources.Source(photo, new SourceInfo(ImageFormat.JPEG, 1200, 675, 1, false, photo.length));
        store = OriginalStores.file(root.resolve("originals"));
        invalidation = new Invalidation(store, Optional.empty(), Clock.systemUTC());
        disk = new DiskLru(root.resolve("copies"), 1L << 30, Clock.systemUTC(), Runnable::run);
        metrics = new Metrics();
        mezzanines = new Mezzanines(Optional.of(disk), invalidation, metrics, EDGE, 1L << 30, nanos::get);
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
    }

    private Turn turn(Duration wait) {
        return mezzanines.source(id, source, 0).turn(wait);
    }

    private long count(String outcome) {
        Matcher m = Pattern.compile("imgorigin_mezzanine_total\\{outcome=\"" + outcome + "\"} (\\d+)")
                .matcher(metrics.scrape());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private Mezzanine real() throws Exception {
        return new Renderer(RenderLimits.DEFAULTS).mezzanine(photo, EDGE).orElseThrow();
    }

    @Test
    void aWaitForAMezzanineBeingMadeIsBoundedThenItIsUsed() throws Exception {
        assertThat(turn(RENDER_LIMIT)).as("the first render").isEqualTo(Turn.ORIGINAL);
        Turn second = turn(RENDER_LIMIT);
        assertThat(second).isInstanceOf(Turn.Make.class);

        // The maker is stuck: another render gives up after its wait, on the original.
        Turn waited = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> turn(Duration.ofMillis(200)));
        assertThat(waited).isEqualTo(Turn.ORIGINAL);
        assertThat(count("timed_out")).isEqualTo(1);

        // One that waits while it is made gets it.
        CompletableFuture<Turn> third = CompletableFuture.supplyAsync(() -> turn(RENDER_LIMIT));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (count("shared") < 2) { // the third render is waiting on the make
            assertThat(System.nanoTime()).as("the third render never waited").isLessThan(deadline);
            Thread.sleep(5);
        }
        Mezzanine made = real();
        ((Turn.Make) second).done().accept(Optional.of(made));
        assertThat(third.get(5, TimeUnit.SECONDS)).isEqualTo(new Turn.Use(made));
        assertThat(turn(RENDER_LIMIT)).as("read from disk").isInstanceOfSatisfying(Turn.Use.class,
                use -> assertThat(use.mezzanine().toFile()).isEqualTo(made.toFile()));
        assertThat(count("made")).isEqualTo(1);
    }

    @Test
    void aMezzanineThatCouldNotBeMadeIsNotTriedAgainForAWhile() {
        assertThat(turn(RENDER_LIMIT)).isEqualTo(Turn.ORIGINAL);
        Turn make = turn(RENDER_LIMIT);
        ((Turn.Make) make).done().accept(Optional.empty());
        assertThat(count("failed")).isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            assertThat(turn(RENDER_LIMIT)).as("backing off").isEqualTo(Turn.ORIGINAL);
        }
        nanos.addAndGet(Mezzanines.BACK_OFF.minusSeconds(1).toNanos());
        assertThat(turn(RENDER_LIMIT)).as("still backing off").isEqualTo(Turn.ORIGINAL);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(turn(RENDER_LIMIT)).as("tried again").isInstanceOf(Turn.Make.class);
    }

    /** Two renders of {@code image} through {@code tier}: the second makes its mezzanine; then the one kept. */
    private Mezzanine made(Mezzanines tier, ImageId image) throws Exception {
        Renderer renderer = new Renderer(RenderLimits.DEFAULTS);
        for (String width : new String[] {"w_300", "w_301"}) {
            renderer.render(photo, TransformationParser.parse(width, Presets.NONE), ImageFormat.WEBP, Map.of(),
                    tier.source(image, source, invalidation.ticket()));
        }
        return tier.source(image, source, invalidation.ticket()).kept().orElseThrow();
    }

    @Test
    void heldPixelsStayWithinTheirBoundAndTheDroppedOnesAreFreed() throws Exception {
        long each = 800L * 450 * 3;
        Mezzanines tier = new Mezzanines(Optional.of(disk), invalidation, metrics, EDGE, 2 * each + each / 2,
                nanos::get);
        ImageId[] ids = {new ImageId("1".repeat(40)), new ImageId("2".repeat(40)), new ImageId("3".repeat(40))};
        Mezzanine first = made(tier, ids[0]);
        assertThat(first.pixels()).as("held in memory after the render that made it ended").get()
                .satisfies(p -> assertThat(p.held()).isTrue());
        Mezzanine second = made(tier, ids[1]);
        assertThat(tier.memoryBytes()).isGreaterThan(2 * each);
        Mezzanine third = made(tier, ids[2]);
        assertThat(tier.memoryBytes()).as("within the bound").isLessThanOrEqualTo(2 * each + each / 2);
        assertThat(java.util.stream.Stream.of(first, second, third).filter(m -> m.pixels().get().held()).count())
                .as("one dropped, its memory freed").isEqualTo(2);

        for (ImageId id : ids) {
            invalidation.purge(id);
        }
        assertThat(java.util.stream.Stream.of(first, second, third).filter(m -> m.pixels().get().held()).count())
                .as("purged: all freed").isZero();
        assertThat(tier.memoryBytes()).isZero();
        Turn next = tier.source(ids[2], source, invalidation.ticket()).turn(RENDER_LIMIT);
        assertThat(next).as("purged: the next render is a first again").isEqualTo(Turn.ORIGINAL);

        Mezzanines none = new Mezzanines(Optional.of(disk), invalidation, metrics, EDGE, 0, nanos::get);
        ImageId fourth = new ImageId("4".repeat(40));
        Mezzanine fromFile = made(none, fourth);
        assertThat(fromFile.pixels()).as("0 holds none: read from the file").isEmpty();
        assertThat(none.memoryBytes()).isZero();
    }

    @Test
    void offOrSmallOriginalsHaveNoSource() {
        Sources.Source small = new Sources.Source(photo, new SourceInfo(ImageFormat.JPEG, 800, 450, 1, false,
                photo.length));
        assertThat(mezzanines.source(id, small, 0)).isSameAs(MezzanineSource.NONE);
    }
}
