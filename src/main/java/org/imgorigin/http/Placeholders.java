package org.imgorigin.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.cache.SingleFlight;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.image.ImageId;
import org.imgorigin.placeholder.Placeholder;
import org.imgorigin.render.RenderException;
import org.imgorigin.render.RenderedImage;
import org.imgorigin.render.Renderer;
import org.imgorigin.url.Presets;
import org.imgorigin.url.Transformation;
import org.imgorigin.url.TransformationParser;

/**
 * An original's {@link Placeholder}, made once from a thumbnail of at most 100 × 100 (its
 * first frame for an animation), rendered on the bounded pool like any variant, then kept in
 * memory (bounded) and on disk ({@code <cache>/state/placeholders/<ab>/<id>.json}), so a
 * restart reuses it. A file that does not parse is not trusted: the placeholder is made again
 * and the file replaced. A purge or delete forgets both copies (a {@link Invalidation.Tier}).
 */
final class Placeholders {
    private static final Logger LOG = Logger.getLogger(Placeholders.class.getName());
    /** At most 100 px a side (ThumbHash's limit), never enlarged. */
    static final Transformation THUMBNAIL = TransformationParser.parse("c_limit,w_100,h_100", Presets.NONE);

    private final Sources sources;
    private final RenderPool pool;
    private final Renderer renderer;
    private final Blocking blocking;
    private final Invalidation invalidation;
    private final Optional<Path> dir;
    private final Cache<ImageId, Placeholder> kept = Caffeine.newBuilder().maximumSize(100_000).build();
    private final SingleFlight<ImageId, Placeholder> flights = new SingleFlight<>();

    /** {@code dir}: where placeholders are kept across restarts (empty: in memory only). */
    Placeholders(Sources sources, RenderPool pool, Renderer renderer, Blocking blocking, Invalidation invalidation,
            Optional<Path> dir) {
        this.sources = sources;
        this.pool = pool;
        this.renderer = renderer;
        this.blocking = blocking;
        this.invalidation = invalidation;
        this.dir = dir;
        invalidation.register(id -> {
            kept.invalidate(id);
            remove(id);
            return 0; // not a variant: purge counts variant files
        });
    }

    /** The file an image's placeholder is kept in, if placeholders are kept on disk. */
    Optional<Path> file(ImageId id) {
        return dir.map(d -> d.resolve(id.value().substring(0, 2)).resolve(id.value() + ".json"));
    }

    /** The image's placeholder: kept, read from disk, or made (once, however many ask). */
    Future<Placeholder> get(Context context, ImageId id) {
        Placeholder known = kept.getIfPresent(id);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return flights.run(id, () -> load(context, id));
    }

    private Future<Placeholder> load(Context context, ImageId id) {
        long ticket = invalidation.ticket();
        return blocking.run(context, () -> read(id)).compose(found -> {
            if (found.isPresent()) {
                invalidation.write(id, ticket, () -> kept.put(id, found.get()), () -> kept.invalidate(id));
                return Future.succeededFuture(found.get());
            }
            return make(context, id).compose(made -> blocking.run(context, () -> {
                invalidation.write(id, ticket, () -> {
                    kept.put(id, made);
                    write(id, made);
                }, () -> {
                    kept.invalidate(id);
                    removeQuietly(id);
                });
                return made;
            }));
        });
    }

    /** Through the same gates as a render: the original's memory budget, then a place in the pool. */
    private Future<Placeholder> make(Context context, ImageId id) {
        return sources.acquire(context, id, () -> {
            if (!pool.hasRoom()) {
                throw RenderPool.full();
            }
        }).compose(lease -> {
            try {
                RenderPool.Slot slot = pool.admit();
                return slot.run(() -> compute(lease.source().bytes())).onComplete(done -> lease.close());
            } catch (RuntimeException e) {
                lease.close();
                return Future.failedFuture(e);
            }
        });
    }

    private Placeholder compute(byte[] original) throws RenderException, IOException {
        RenderedImage thumbnail = renderer.render(original, THUMBNAIL, ImageFormat.PNG);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(thumbnail.bytes()));
        if (image == null) {
            throw new IOException("the thumbnail for a placeholder could not be read back");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        byte[] rgba = new byte[argb.length * 4];
        for (int i = 0; i < argb.length; i++) {
            rgba[i * 4] = (byte) (argb[i] >> 16);
            rgba[i * 4 + 1] = (byte) (argb[i] >> 8);
            rgba[i * 4 + 2] = (byte) argb[i];
            rgba[i * 4 + 3] = (byte) (argb[i] >>> 24);
        }
        return Placeholder.of(width, height, rgba);
    }

    private Optional<Placeholder> read(ImageId id) {
        Optional<Path> file = file(id);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            Optional<Placeholder> parsed = Placeholder.parse(Files.readString(file.get(), StandardCharsets.UTF_8));
            if (parsed.isEmpty()) {
                LOG.warning("kept placeholder " + file.get() + " is malformed; it is made again");
            }
            return parsed;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) { // unreadable, or not UTF-8: made again
            LOG.log(Level.WARNING, "could not read kept placeholder " + file.get() + "; it is made again", e);
            return Optional.empty();
        }
    }

    /** Written whole or not at all (a temporary file moved into place); a failure costs a remake after a restart. */
    private void write(ImageId id, Placeholder placeholder) {
        Optional<Path> file = file(id);
        if (file.isEmpty()) {
            return;
        }
        try {
            Files.createDirectories(file.get().getParent());
            Path temporary = file.get().resolveSibling(id.value() + ".json." + Thread.currentThread().threadId() + ".tmp");
            Files.writeString(temporary, placeholder.json().encode(), StandardCharsets.UTF_8);
            Files.move(temporary, file.get(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not keep the placeholder of " + id + " on disk", e);
        }
    }

    private void removeQuietly(ImageId id) {
        try {
            remove(id);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove the kept placeholder of " + id, e);
        }
    }

    private void remove(ImageId id) throws IOException {
        Optional<Path> file = file(id);
        if (file.isPresent()) {
            Files.deleteIfExists(file.get());
        }
    }
}
