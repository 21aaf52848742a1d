package org.imgorigin.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.imgorigin.image.ImageId;

/**
 * Images deleted through this node, kept on disk so that a restart does not forget them: a
 * crash between the delete and the removal of every cached copy, or a copy a read-only disk
 * would not let go, must not be served again. One line per event, appended and forced to
 * disk before the delete goes on ({@code D <millis> <id>}; {@code C <millis> <id>} once the
 * store has deleted the original; {@code U <millis> <id>} when an upload brings the image
 * back); compacted at start-up, when entries older than {@code ttl} are dropped. Deletions are takedowns, rare next to uploads: the file stays small.
 */
final class Tombstones implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Tombstones.class.getName());

    private final Optional<Path> file;
    private final Clock clock;
    private final Duration ttl;
    private final Map<ImageId, Long> deleted = new ConcurrentHashMap<>();
    /** Of those, the ones whose original the store has deleted: only an upload can bring them back. */
    private final java.util.Set<ImageId> completed = ConcurrentHashMap.newKeySet();
    private FileChannel log;
    private boolean closed;

    /** {@code file} empty: kept in memory only (tests, or a node with no cache directory). */
    Tombstones(Optional<Path> file, Clock clock, Duration ttl) {
        this.file = file;
        this.clock = clock;
        this.ttl = ttl;
        if (file.isPresent()) {
            try {
                load(file.get());
            } catch (IOException e) {
                // A cache disk that refuses writes must not stop the node: deletes are then
                // remembered until the next restart only, and the log says so.
                LOG.warning("cannot keep deleted images in " + file.get() + " (" + e.getMessage()
                        + "): deletes are remembered in memory only");
            }
        }
    }

    private void load(Path path) throws IOException {
        long oldest = clock.millis() - ttl.toMillis();
        if (!Files.exists(path)) {
            return; // nothing deleted yet: the file is made by the first delete
        }
        {
            for (String line : Files.readAllLines(path, StandardCharsets.US_ASCII)) {
                String[] f = line.split(" ");
                if (f.length != 3 || !ImageId.isValid(f[2])) {
                    continue; // a line cut short by a crash
                }
                long at;
                try {
                    at = Long.parseLong(f[1]);
                } catch (NumberFormatException e) {
                    continue;
                }
                ImageId id = new ImageId(f[2]);
                if (f[0].equals("D") && at >= oldest) {
                    deleted.put(id, at);
                    completed.remove(id);
                } else if (f[0].equals("C") && deleted.containsKey(id)) {
                    completed.add(id);
                } else if (f[0].equals("U")) {
                    deleted.remove(id);
                    completed.remove(id);
                }
            }
        }
        // Compacted: only live tombstones, written aside and renamed into place.
        Path temp = path.resolveSibling(path.getFileName() + ".tmp");
        StringBuilder live = new StringBuilder();
        deleted.forEach((id, at) -> {
            live.append("D ").append(at).append(' ').append(id).append('\n');
            if (completed.contains(id)) {
                live.append("C ").append(at).append(' ').append(id).append('\n');
            }
        });
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(live.toString().getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(path.getParent());
        if (!deleted.isEmpty()) {
            LOG.info(() -> deleted.size() + " deleted images remembered from " + path);
        }
    }

    /**
     * Records a delete, on disk first: when this returns, a restart still knows. A disk that
     * refuses the write (full, read-only) does not stop the takedown: it is then remembered
     * until the next restart only, and the log says so.
     */
    void add(ImageId id) {
        long now = clock.millis();
        append("D " + now + " " + id + "\n");
        completed.remove(id);
        deleted.put(id, now);
    }

    /** The store has deleted the original (and the journal says so): the delete is done. */
    void complete(ImageId id) {
        if (deleted.containsKey(id) && completed.add(id)) {
            append("C " + clock.millis() + " " + id + "\n");
        }
    }

    /** Whether the image's delete is done: from then on, an original in the store was uploaded again. */
    boolean completed(ImageId id) {
        return completed.contains(id) && contains(id);
    }

    /** An upload of the same bytes brings the image back. */
    void remove(ImageId id) {
        completed.remove(id);
        if (deleted.remove(id) != null) {
            append("U " + clock.millis() + " " + id + "\n");
        }
    }

    boolean contains(ImageId id) {
        Long at = deleted.get(id);
        if (at == null) {
            return false;
        }
        if (clock.millis() - at > ttl.toMillis()) {
            deleted.remove(id, at);
            return false;
        }
        return true;
    }

    /** The ids deleted, for re-applying the removal of their copies after a restart. */
    java.util.Set<ImageId> ids() {
        return java.util.Set.copyOf(deleted.keySet());
    }

    private synchronized void append(String line) {
        if (file.isEmpty() || closed) {
            return; // closed: a late background check during shutdown reopens nothing
        }
        try {
            if (log == null) {
                Files.createDirectories(file.get().getParent());
                log = FileChannel.open(file.get(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
                forceDirectory(file.get().getParent()); // the new file's name, too, survives a crash
            }
            ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                log.write(bytes);
            }
            log.force(false);
        } catch (IOException e) {
            LOG.warning("could not record a delete in " + file.get() + " (" + e.getMessage()
                    + "): it is remembered until the next restart only");
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (log != null) {
            log.close();
            log = null;
        }
    }
}
