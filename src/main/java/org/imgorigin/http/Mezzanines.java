package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.DiskLru;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.MezzanineSource;
import org.imgorigin.vips.Pixels;

/**
 * The {@link Mezzanine}s of large originals, on local disk beside the originals' copies and
 * in the same {@link DiskLru} (so under {@code IMGORIGIN_ORIGINALS_CACHE_BYTES}, evicted with
 * them), removed by every purge and delete through {@link Invalidation}.
 *
 * <p>{@link #source} gives a render its {@link MezzanineSource}, which the renderer asks only
 * once the render's plan could load from a mezzanine ({@code Mezzanine#couldServe}): then it
 * reads the mezzanine from disk, or lets this render make it (from the decode of the original
 * the render does anyway, within its time limit) and writes it (atomically: a temporary renamed
 * into place). Concurrent renders of one original share that one decode: the first to make it
 * makes it, the others wait for it, each no longer than what is left of its own time limit, and
 * render from it. A file that is not whole, of another size or unreadable is removed and made
 * again; the disk never holds more than one per image. An original whose mezzanine could not be
 * made (a decode that failed or ran out of time, pixels that are not 8-bit sRGB or grey) is not
 * tried again for {@link #BACK_OFF}: its renders load from the original meanwhile. Blocking.
 *
 * <p>It is made at the second render of an original (within an hour) that could use one, not
 * the first: a mezzanine costs a decode at its own size and a JPEG encode, more than a small
 * variant (which libjpeg decodes at an eighth of the size) costs alone, so an original asked for
 * once renders exactly as without mezzanines. Renders that need more than a mezzanine holds (a
 * variant larger than it, a crop at full resolution, {@code e_trim}) neither count nor make one.
 * An upload's eager set, rendered from one decode of its own ({@code Renderer#renderMany}),
 * counts as the first render: the next one makes it ({@link #expectMany}).
 *
 * <p>The render that makes a mezzanine has its decoded pixels in native memory: they are held
 * there too ({@link HeldMezzanines}, up to {@code IMGORIGIN_MEZZANINE_MEMORY_BYTES}, the least
 * recently used dropped first; 0 holds none), and the renders after it resize from them instead
 * of reading and decoding the JPEG (a srcset's other widths, asked for within seconds). Held
 * pixels are dropped by the same purge and delete as the file, and their memory freed once the
 * last render reading them ends ({@link Pixels}).
 */
final class Mezzanines {
    private static final Logger LOG = Logger.getLogger(Mezzanines.class.getName());
    /** The file's name beside the original's copy ({@code ab/cd/<id>}). */
    static final String SUFFIX = ".mezzanine";
    /** How long an original whose mezzanine could not be made renders without one. */
    static final Duration BACK_OFF = Duration.ofMinutes(10);

    private final Optional<DiskLru> disk;
    private final Invalidation invalidation;
    private final Metrics metrics;
    private final int edge;
    private final ConcurrentHashMap<ImageId, CompletableFuture<Optional<Mezzanine>>> making = new ConcurrentHashMap<>();
    /** Originals rendered lately without a mezzanine: the next render of one makes it. */
    private final Cache<ImageId, Boolean> renderedOnce;
    /** Originals whose mezzanine could not be made lately. */
    private final Cache<ImageId, Boolean> failed;
    /** Mezzanines made lately, with their decoded pixels. */
    private final HeldMezzanines held;

    /**
     * {@code edge}: the long side of a mezzanine; 0, or no {@code disk}, turns them off.
     * {@code memoryBytes}: the most the decoded ones held take; 0 holds none.
     */
    Mezzanines(Optional<DiskLru> disk, Invalidation invalidation, Metrics metrics, int edge, long memoryBytes) {
        this(disk, invalidation, metrics, edge, memoryBytes, Ticker.systemTicker());
    }

    /** {@code ticker}: the time the memories of first renders and failures expire by. */
    Mezzanines(Optional<DiskLru> disk, Invalidation invalidation, Metrics metrics, int edge, long memoryBytes,
            Ticker ticker) {
        this.disk = edge > 0 ? disk : Optional.empty();
        this.invalidation = invalidation;
        this.metrics = metrics;
        this.edge = edge;
        this.renderedOnce = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(1))
                .ticker(ticker).build();
        this.failed = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(BACK_OFF).ticker(ticker).build();
        this.held = new HeldMezzanines(this.disk.isPresent() ? memoryBytes : 0);
        metrics.mezzanineMemoryGauge(held::bytes);
        this.disk.ifPresent(lru -> invalidation.register(id -> {
            renderedOnce.invalidate(id);
            failed.invalidate(id);
            held.remove(id);
            return lru.remove(relative(id)) ? 1 : 0;
        }));
    }

    /** What the decoded mezzanines held now take in memory. */
    long memoryBytes() {
        return held.bytes();
    }

    /** The original's eager set is being rendered: it counts as a first render, the next one makes the mezzanine. */
    void expectMany(ImageId id) {
        if (disk.isPresent()) {
            renderedOnce.put(id, Boolean.TRUE);
        }
    }

    /**
     * Whether renders of {@code id} would load from a mezzanine now: one is held in memory, kept
     * on disk or being made. A burst of its variants then loads from that, not from one shared
     * decode of the original ({@link Bursts}).
     */
    boolean standsIn(ImageId id) {
        return disk.isPresent() && (making.containsKey(id) || held.contains(id)
                || disk.get().get(relative(id)).isPresent());
    }

    static String relative(ImageId id) {
        return id.storageKey() + SUFFIX;
    }

    /**
     * Where a render of {@code source} of {@code id} finds its mezzanine; {@link
     * MezzanineSource#NONE} when the original is not worth one (small, animated, alpha) or they
     * are off. {@code ticket}: taken before the original was read, so a purge since keeps a new
     * one off the disk.
     */
    MezzanineSource source(ImageId id, Sources.Source source, long ticket) {
        if (disk.isEmpty() || !Mezzanine.worthMaking(source.info(), edge)) {
            return MezzanineSource.NONE;
        }
        return new MezzanineSource() {
            /** What {@link #kept} read, so that the render's turn does not read it again. */
            private Optional<Mezzanine> read;

            @Override
            public int edge() {
                return edge;
            }

            @Override
            public Optional<Mezzanine> kept() {
                if (read == null) {
                    Optional<Mezzanine> inMemory = held.get(id);
                    read = inMemory.isPresent() ? inMemory : read(id, source);
                }
                return read;
            }

            @Override
            public Turn turn(Duration wait) {
                return Mezzanines.this.turn(id, source, ticket, wait, kept());
            }
        };
    }

    private MezzanineSource.Turn turn(ImageId id, Sources.Source source, long ticket, Duration wait,
            Optional<Mezzanine> kept) {
        if (kept.isPresent()) {
            return new MezzanineSource.Turn.Use(kept.get());
        }
        if (failed.getIfPresent(id) != null
                || renderedOnce.asMap().putIfAbsent(id, Boolean.TRUE) == null) {
            // Backing off, or the first render: from the original, as without mezzanines.
            return MezzanineSource.Turn.ORIGINAL;
        }
        CompletableFuture<Optional<Mezzanine>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Mezzanine>> running = making.putIfAbsent(id, mine);
        if (running != null) {
            metrics.mezzanine("shared");
            return await(id, running, wait);
        }
        // Another render may have made it between the read above and now.
        try {
            kept = read(id, source);
        } catch (RuntimeException | Error e) {
            // Whatever stops this render here must not leave the others waiting on it.
            making.remove(id, mine);
            mine.complete(Optional.empty());
            throw e;
        }
        if (kept.isPresent()) {
            making.remove(id, mine);
            mine.complete(kept);
            return new MezzanineSource.Turn.Use(kept.get());
        }
        return new MezzanineSource.Turn.Make(made -> {
            try {
                mine.complete(made); // the renders waiting for it go on before it is written
                if (made.isPresent()) {
                    metrics.mezzanine("made");
                } else {
                    metrics.mezzanine("failed");
                    failed.put(id, Boolean.TRUE);
                }
                made.ifPresent(m -> keep(id, m, ticket));
            } finally {
                making.remove(id, mine);
            }
        });
    }

    /** The mezzanine another render is making, if it is made within {@code wait}; else the original. */
    private MezzanineSource.Turn await(ImageId id, CompletableFuture<Optional<Mezzanine>> running, Duration wait) {
        try {
            Optional<Mezzanine> made = running.get(wait.toNanos(), TimeUnit.NANOSECONDS);
            return made.<MezzanineSource.Turn>map(MezzanineSource.Turn.Use::new).orElse(MezzanineSource.Turn.ORIGINAL);
        } catch (TimeoutException e) {
            metrics.mezzanine("timed_out");
            LOG.fine(() -> "gave up waiting for the mezzanine of " + id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // Never: it is completed with a value on every path.
        }
        return MezzanineSource.Turn.ORIGINAL;
    }

    private Optional<Mezzanine> read(ImageId id, Sources.Source source) {
        DiskLru lru = disk.get();
        String relative = relative(id);
        Optional<DiskLru.Cached> cached = lru.get(relative);
        if (cached.isEmpty()) {
            return Optional.empty();
        }
        try {
            Optional<Mezzanine> mezzanine = Mezzanine.fromFile(Files.readAllBytes(cached.get().path()), source.info(),
                    edge);
            if (mezzanine.isPresent()) {
                return mezzanine;
            }
            metrics.mezzanine("rejected");
            LOG.warning(() -> "the mezzanine of " + id + " is cut short, corrupt or of another size; making it again");
        } catch (NoSuchFileException e) {
            // evicted or purged under us
        } catch (IOException e) {
            metrics.mezzanine("rejected");
            LOG.warning(() -> "could not read the mezzanine of " + id + ": " + e);
        }
        lru.remove(relative);
        return Optional.empty();
    }

    private void keep(ImageId id, Mezzanine made, long ticket) {
        // Its pixels first, each write fenced against a purge that raced the make on its own.
        invalidation.write(id, ticket, () -> held.put(id, made), () -> held.remove(id, made));
        DiskLru lru = disk.get();
        String relative = relative(id);
        try {
            invalidation.write(id, ticket, () -> lru.put(relative, made.toFile()), () -> lru.remove(relative));
        } catch (IOException | RuntimeException e) {
            // A full disk costs the next variants a decode of the original, never this answer.
            LOG.log(Level.WARNING, "could not keep the mezzanine of " + id + ": " + e.getMessage());
        }
    }
}
