package org.imgorigin.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.imgorigin.image.ImageId;

/**
 * Which images were drawn on which: for each image used as a layer (an overlay, a configured
 * watermark), the images whose variants drew it. A file per layer, {@code <dir>/<layer id>},
 * one image id a line, appended to; in memory only when there is no directory. Only
 * {@link Invalidation} reads it, to purge composites with the layer they drew.
 */
final class Composites {
    private final Optional<Path> directory;
    /** Pairs recorded lately, so a hot composite is appended once, not once per render. */
    private final Cache<String, Boolean> recent = Caffeine.newBuilder().maximumSize(100_000).build();
    /** Without a directory: layer → images. */
    private final Map<ImageId, Set<ImageId>> inMemory = new ConcurrentHashMap<>();
    private final Object lock = new Object();

    Composites(Optional<Path> directory) {
        this.directory = directory;
    }

    void record(ImageId layer, ImageId base) throws IOException {
        String pair = layer.value() + " " + base.value();
        if (recent.getIfPresent(pair) != null) {
            return;
        }
        // Under the lock with forget(), so that a pair remembered as recorded is in the file.
        synchronized (lock) {
            if (directory.isEmpty()) {
                inMemory.computeIfAbsent(layer, k -> ConcurrentHashMap.newKeySet()).add(base);
            } else {
                Files.createDirectories(directory.get());
                Files.writeString(file(layer), base.value() + "\n", StandardCharsets.US_ASCII,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            }
            recent.put(pair, Boolean.TRUE);
        }
    }

    /** The images {@code layer} was drawn on (a line cut short by a crash is skipped). */
    Set<ImageId> drawnOn(ImageId layer) throws IOException {
        if (directory.isEmpty()) {
            return Set.copyOf(inMemory.getOrDefault(layer, Set.of()));
        }
        Set<ImageId> bases = new LinkedHashSet<>();
        synchronized (lock) {
            try {
                for (String line : Files.readAllLines(file(layer), StandardCharsets.US_ASCII)) {
                    if (ImageId.isValid(line)) {
                        bases.add(new ImageId(line));
                    }
                }
            } catch (NoSuchFileException e) {
                return Set.of();
            }
        }
        return bases;
    }

    /** After the composites of {@code layer} are gone. */
    void forget(ImageId layer) throws IOException {
        synchronized (lock) {
            recent.asMap().keySet().removeIf(pair -> pair.startsWith(layer.value() + " "));
            if (directory.isEmpty()) {
                inMemory.remove(layer);
            } else {
                Files.deleteIfExists(file(layer));
            }
        }
    }

    private Path file(ImageId layer) {
        return directory.orElseThrow().resolve(layer.value());
    }
}
