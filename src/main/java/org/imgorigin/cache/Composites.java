package org.imgorigin.cache;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.imgorigin.image.ImageId;

/**
 * Which images were drawn on which: for each image used as a layer (an overlay, a configured
 * watermark), the images whose variants drew it. On disk, an empty file per pair,
 * {@code <dir>/<layer id>/<image id>}: made once however often the pair is rendered (so a
 * watermark's directory holds one file per image, never more), never half-written, and
 * removed one by one as the images' variants are purged. In memory only when there is no
 * directory. Only {@link Invalidation} reads it, to purge composites with the layer they drew.
 *
 * <p>Every render of a composite records its pair (a file made, or found made: a render costs
 * far more), rather than remembering pairs recorded: a pair forgotten by a purge while a render
 * of it runs is recorded again by that render's retry.
 */
final class Composites {
    private final Optional<Path> directory;
    /** Without a directory: layer → images. */
    private final Map<ImageId, Set<ImageId>> inMemory = new ConcurrentHashMap<>();

    Composites(Optional<Path> directory) {
        this.directory = directory;
    }

    /** Blocking (a file is made): call off the event loop. */
    void record(ImageId layer, ImageId base) throws IOException {
        if (directory.isEmpty()) {
            inMemory.computeIfAbsent(layer, k -> ConcurrentHashMap.newKeySet()).add(base);
        } else {
            Path file = directory.get().resolve(layer.value()).resolve(base.value());
            Files.createDirectories(file.getParent());
            try {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                // recorded before
            }
        }
    }

    /** The images {@code layer} was drawn on, as recorded now. */
    List<ImageId> drawnOn(ImageId layer) throws IOException {
        if (directory.isEmpty()) {
            return List.copyOf(inMemory.getOrDefault(layer, Set.of()));
        }
        List<ImageId> bases = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory.get().resolve(layer.value()))) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (ImageId.isValid(name)) {
                    bases.add(new ImageId(name));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return bases;
    }

    /** Forgets the pair, before {@code base}'s variants are removed under a fence (see {@link Invalidation}). */
    void forget(ImageId layer, ImageId base) throws IOException {
        if (directory.isEmpty()) {
            inMemory.computeIfPresent(layer, (k, bases) -> {
                bases.remove(base);
                return bases.isEmpty() ? null : bases;
            });
            return;
        }
        Files.deleteIfExists(directory.get().resolve(layer.value()).resolve(base.value()));
    }
}
