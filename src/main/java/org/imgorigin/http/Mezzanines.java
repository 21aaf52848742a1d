package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.DiskLru;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.image.ImageId;
import org.imgorigin.metrics.Metrics;
import org.imgorigin.render.Mezzanine;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.Renderer;

/**
 * The {@link Mezzanine}s of large originals, on local disk beside the originals' copies and
 * in the same {@link DiskLru} (so under {@code IMGORIGIN_ORIGINALS_CACHE_BYTES}, evicted with
 * them), removed by every purge and delete through {@link Invalidation}.
 *
 * <p>{@link #forRender} runs on a render worker, before the render: it reads the mezzanine
 * from disk, or makes it from the original (one decode) and writes it (atomically: a
 * temporary renamed into place). Concurrent renders of one original share that one decode:
 * the first to make it makes it, the others wait for it and render from it, however many
 * variants a srcset asks at once. A file that is not whole, of
 * another size or unreadable is removed and made again; the disk never holds more than one
 * per image. Blocking.
 *
 * <p>It is made at the second render of an original (within an hour), not the first: a
 * mezzanine costs a decode at its own size and a JPEG encode, more than a small variant
 * (which libjpeg decodes at an eighth of the size) costs alone, so an original asked for
 * once renders exactly as without mezzanines. An upload's eager set, rendered from one decode
 * of its own ({@code Renderer#renderMany}), counts as the first render: the next one makes
 * it ({@link #expectMany}).
 */
final class Mezzanines {
    private static final Logger LOG = Logger.getLogger(Mezzanines.class.getName());
    /** The file's name beside the original's copy ({@code ab/cd/<id>}). */
    static final String SUFFIX = ".mezzanine";

    private final Optional<DiskLru> disk;
    private final Renderer renderer;
    private final Invalidation invalidation;
    private final Metrics metrics;
    private final int edge;
    private final ConcurrentHashMap<ImageId, CompletableFuture<Optional<Mezzanine>>> making = new ConcurrentHashMap<>();
    /** Originals rendered lately without a mezzanine: the next render of one makes it. */
    private final Cache<ImageId, Boolean> renderedOnce = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    /** {@code edge}: the long side of a mezzanine; 0, or no {@code disk}, turns them off. */
    Mezzanines(Optional<DiskLru> disk, Renderer renderer, Invalidation invalidation, Metrics metrics, int edge) {
        this.disk = edge > 0 ? disk : Optional.empty();
        this.renderer = renderer;
        this.invalidation = invalidation;
        this.metrics = metrics;
        this.edge = edge;
        this.disk.ifPresent(lru -> invalidation.register(id -> {
            renderedOnce.invalidate(id);
            return lru.remove(relative(id)) ? 1 : 0;
        }));
    }

    /** The original's eager set is being rendered: it counts as a first render, the next one makes the mezzanine. */
    void expectMany(ImageId id) {
        if (disk.isPresent()) {
            renderedOnce.put(id, Boolean.TRUE);
        }
    }

    static String relative(ImageId id) {
        return id.storageKey() + SUFFIX;
    }

    /**
     * The mezzanine to render {@code source} of {@code id} from, read or made now; empty when
     * the original is not worth one (small, animated, alpha) or they are off. {@code ticket}:
     * taken before the original was read, so a purge since keeps a new one off the disk.
     */
    Optional<Mezzanine> forRender(ImageId id, Sources.Source source, long ticket) {
        if (disk.isEmpty() || !Mezzanine.worthMaking(source.info(), edge)) {
            return Optional.empty();
        }
        Optional<Mezzanine> kept = read(id, source);
        if (kept.isPresent()) {
            return kept;
        }
        if (renderedOnce.asMap().putIfAbsent(id, Boolean.TRUE) == null) {
            return Optional.empty(); // the first render: from the original, as without mezzanines
        }
        CompletableFuture<Optional<Mezzanine>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Mezzanine>> running = making.putIfAbsent(id, mine);
        if (running != null) {
            metrics.mezzanine("shared");
            return running.join(); // never fails: see below
        }
        try {
            Optional<Mezzanine> made = make(id, source, ticket);
            mine.complete(made);
            return made;
        } catch (RuntimeException e) {
            mine.complete(Optional.empty());
            throw e;
        } finally {
            making.remove(id, mine);
        }
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

    private Optional<Mezzanine> make(ImageId id, Sources.Source source, long ticket) {
        Optional<Mezzanine> made;
        try {
            made = renderer.mezzanine(source.bytes(), edge);
        } catch (RenderException e) {
            return Optional.empty(); // the render from the original says what is wrong
        }
        if (made.isEmpty()) {
            return made;
        }
        metrics.mezzanine("made");
        DiskLru lru = disk.get();
        String relative = relative(id);
        try {
            invalidation.write(id, ticket, () -> lru.put(relative, made.get().toFile()), () -> lru.remove(relative));
        } catch (IOException e) {
            // A full disk costs the next variants a decode of the original, never this answer.
            LOG.log(Level.WARNING, "could not keep the mezzanine of " + id + ": " + e.getMessage());
        }
        return made;
    }
}
