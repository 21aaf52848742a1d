package org.imgorigin.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imgorigin.image.ImageId;

/**
 * Originals as files, {@code <root>/3972/b1/3972b1…}: the default store.
 *
 * <p>A put writes a temporary file beside the target, forces it to disk and renames it into
 * place, so a reader sees either no file or the whole file, even across a crash. Ids are
 * content hashes, so an existing file already holds the right bytes and is left alone.
 * Content types are not kept: the server sniffs the bytes anyway.
 */
final class FileStore implements OriginalStore {
    private static final String UNKNOWN_TYPE = "application/octet-stream";

    private final Path root;

    private FileStore(Path root) {
        this.root = root;
    }

    /**
     * A store under {@code root}, creating the directory if it can. A root that cannot be
     * created does not stop start-up: {@link #check()} reports it, so {@code /readyz} says why.
     */
    static FileStore open(Path root) {
        Objects.requireNonNull(root, "root");
        Path absolute = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute);
        } catch (IOException e) {
            // Left for check(): a volume may be mounted after we start.
        }
        return new FileStore(absolute);
    }

    @Override
    public Optional<Original> fetch(ImageId id, SizeGate gate) throws StoreException {
        Path path = pathOf(id.storageKey());
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            gate.admit(size); // the file's size is what is read
            if (size > Integer.MAX_VALUE - 16) {
                throw new IOException("too large to read: " + size + " bytes");
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) size);
            while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                // until the size read at open, or an end of file (a file cut short by hand)
            }
            return Optional.of(new Original(bytes.hasRemaining()
                    ? java.util.Arrays.copyOf(bytes.array(), bytes.position()) : bytes.array(), UNKNOWN_TYPE));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failed("reading", path, e);
        }
    }

    @Override
    public boolean exists(ImageId id) throws StoreException {
        Path path = pathOf(id.storageKey());
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isRegularFile();
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw failed("reading attributes of", path, e);
        }
    }

    @Override
    public void put(ImageId id, byte[] bytes, String contentType) throws StoreException {
        Path target = pathOf(id.storageKey());
        if (Files.exists(target)) {
            return;
        }
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            // Same directory as the target, so the rename stays on one file system and is atomic.
            temp = Files.createTempFile(target.getParent(), "." + id.value() + ".", ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                // Originals are the only copy; without this a crash could leave a renamed but empty file.
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            // And the rename itself: the upload is acknowledged as stored once put returns.
            try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (FileAlreadyExistsException e) {
            // A concurrent put of the same id won the race; its bytes are ours.
        } catch (IOException e) {
            throw failed("writing", target, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // Nothing better to do: a stray temporary file is harmless and never read.
                }
            }
        }
    }

    @Override
    public boolean delete(ImageId id) throws StoreException {
        Path path = pathOf(id.storageKey());
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            throw failed("deleting", path, e);
        }
    }

    @Override
    public void append(String name) throws StoreException {
        Path entry = journal().resolve(Journal.checked(name));
        try {
            Files.createDirectories(entry.getParent());
            try (FileChannel channel = FileChannel.open(entry, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            // The entry's name is its content: the directory must keep it across a crash.
            try (FileChannel directory = FileChannel.open(entry.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw failed("writing", entry, e);
        }
    }

    @Override
    public List<String> entries(String startAfter, int max) throws StoreException {
        Path directory = journal();
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(path -> path.getFileName().toString())
                    .filter(name -> name.compareTo(startAfter) > 0)
                    .sorted().limit(max).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw failed("listing", directory, e);
        }
    }

    @Override
    public void removeEntry(String name) throws StoreException {
        Path entry = journal().resolve(Journal.checked(name));
        try {
            Files.deleteIfExists(entry);
        } catch (IOException e) {
            throw failed("deleting", entry, e);
        }
    }

    private Path journal() {
        return root.resolve("journal");
    }

    @Override
    public void check() throws StoreException {
        if (!Files.isDirectory(root)) {
            throw new StoreException(StoreException.Kind.FAILED, "originals directory " + root + " does not exist");
        }
        if (!Files.isWritable(root)) {
            throw new StoreException(StoreException.Kind.FAILED, "originals directory " + root + " is not writable");
        }
    }

    @Override
    public String describe() {
        return "file:" + root;
    }

    /**
     * The file of a storage key. Ids are validated hex already; the check is a second lock in
     * case a key ever comes from somewhere less careful (thumbor's file storage does the same).
     */
    Path pathOf(String storageKey) throws StoreException {
        Path path = root.resolve(storageKey).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new StoreException(StoreException.Kind.FAILED,
                    "storage key '" + storageKey + "' resolves outside " + root);
        }
        return path;
    }

    private static StoreException failed(String doing, Path path, IOException e) {
        return new StoreException(StoreException.Kind.FAILED, doing + " " + path + " failed: " + e, e);
    }
}
