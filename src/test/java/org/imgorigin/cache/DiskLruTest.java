package org.imgorigin.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskLruTest {
    @TempDir
    Path root;

    private DiskLru lru(long maxBytes) throws IOException {
        DiskLru lru = new DiskLru(root, maxBytes, Clock.systemUTC(), Runnable::run);
        lru.rebuild();
        return lru;
    }

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void staysUnderItsBoundAndEvictsTheLeastRecentlyUsedFirst() throws Exception {
        DiskLru lru = lru(40_960);
        for (int i = 0; i < 5; i++) {
            lru.put("a/" + i, bytes(8_192));
        }
        assertThat(lru.totalBytes()).isEqualTo(40_960);
        // Use 0 and 1: now 2 is the least recently used, then 3.
        assertThat(lru.get("a/0")).isPresent();
        assertThat(lru.get("a/1")).isPresent();
        lru.put("a/5", bytes(12_288));
        assertThat(lru.totalBytes()).isLessThanOrEqualTo(40_960);
        assertThat(Files.exists(root.resolve("a/2"))).isFalse();
        assertThat(Files.exists(root.resolve("a/3"))).isFalse();
        assertThat(lru.get("a/2")).isEmpty();
        for (String kept : new String[] {"a/0", "a/1", "a/4", "a/5"}) {
            assertThat(lru.get(kept)).as(kept).isPresent();
            assertThat(root.resolve(kept)).exists();
        }
        assertThat(diskBytes()).isEqualTo(lru.totalBytes());
    }

    @Test
    void anInterruptedWriteLeavesNothingThatCouldBeServed() throws Exception {
        DiskLru lru = lru(1_000_000);
        assertThatThrownBy(() -> lru.put("3972/b1/x/w_300.webp", out -> {
            out.write(bytes(5_000));
            throw new IOException("render died mid-write");
        })).hasMessageContaining("mid-write");
        assertThat(lru.get("3972/b1/x/w_300.webp")).isEmpty();
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void aCrashMidWriteLeavesATemporaryThatTheRebuildDeletes() throws Exception {
        // What a killed process leaves: a temporary (and, on some file systems, an empty file).
        Path dir = Files.createDirectories(root.resolve("3972/b1/x"));
        Files.write(dir.resolve(DiskLru.TEMP_PREFIX + "1234"), bytes(700));
        Files.setLastModifiedTime(dir.resolve(DiskLru.TEMP_PREFIX + "1234"),
                FileTime.from(Instant.now().minusSeconds(3600)));
        Files.write(dir.resolve("empty.webp"), new byte[0]);
        Files.write(dir.resolve("w_100.webp"), bytes(300));
        DiskLru lru = lru(1_000_000);
        assertThat(lru.size()).isEqualTo(1);
        assertThat(lru.get("3972/b1/x/w_100.webp")).isPresent();
        assertThat(lru.get("3972/b1/x/empty.webp")).isEmpty();
        assertThat(dir.resolve(DiskLru.TEMP_PREFIX + "1234")).doesNotExist();
        assertThat(dir.resolve("empty.webp")).doesNotExist();
    }

    @Test
    void recencySurvivesARestart() throws Exception {
        Path dir = Files.createDirectories(root.resolve("v"));
        for (int i = 0; i < 4; i++) {
            Files.write(dir.resolve("f" + i), bytes(4_096));
            // f2 was used most recently before the restart, f0 least.
            int age = switch (i) {
                case 0 -> 400;
                case 1 -> 300;
                case 2 -> 10;
                default -> 200;
            };
            Files.setLastModifiedTime(dir.resolve("f" + i), FileTime.from(Instant.now().minusSeconds(age)));
        }
        DiskLru lru = lru(16_384);
        lru.put("v/new", bytes(8_192)); // two must go: the two oldest
        assertThat(dir.resolve("f0")).doesNotExist();
        assertThat(dir.resolve("f1")).doesNotExist();
        assertThat(dir.resolve("f2")).exists();
        assertThat(dir.resolve("f3")).exists();
    }

    @Test
    void aHitRefreshesTheFilesTimeForTheNextRestart() throws Exception {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        DiskLru lru = new DiskLru(root, 1_000_000, Clock.fixed(t0, ZoneOffset.UTC), Runnable::run);
        lru.rebuild();
        lru.put("v/a", bytes(10));
        Files.setLastModifiedTime(root.resolve("v/a"), FileTime.from(t0));
        DiskLru later = new DiskLru(root, 1_000_000, Clock.fixed(t0.plusSeconds(3600), ZoneOffset.UTC), Runnable::run);
        later.rebuild();
        assertThat(later.get("v/a")).isPresent();
        assertThat(Files.getLastModifiedTime(root.resolve("v/a")).toInstant()).isEqualTo(t0.plusSeconds(3600));
    }

    @Test
    void beforeTheRebuildFinishesTheDiskAnswers() throws Exception {
        Files.createDirectories(root.resolve("v"));
        Files.write(root.resolve("v/a"), bytes(10));
        DiskLru fresh = new DiskLru(root, 1_000_000, Clock.systemUTC(), Runnable::run);
        assertThat(fresh.get("v/a")).isPresent();
        assertThat(fresh.get("v/b")).isEmpty();
    }

    @Test
    void removesOneImagesVariants() throws Exception {
        DiskLru lru = lru(1_000_000);
        lru.put("3972/b1/aaaa/w_1.webp", bytes(10));
        lru.put("3972/b1/aaaa/w_2.webp", bytes(10));
        lru.put("3972/b1/aaab/w_1.webp", bytes(10));
        assertThat(lru.removeUnder("3972/b1/aaaa")).isEqualTo(2);
        assertThat(lru.get("3972/b1/aaaa/w_1.webp")).isEmpty();
        assertThat(lru.get("3972/b1/aaab/w_1.webp")).isPresent();
        assertThat(lru.totalBytes()).as("a file takes whole 4 KiB blocks").isEqualTo(4_096);
        assertThat(lru.removeUnder("3972/b1/aaaa")).isZero();
    }

    /** A temporary newer than the process is a write in progress: the rebuild leaves it alone. */
    @Test
    void theRebuildLeavesWritesInProgressAlone() throws Exception {
        DiskLru lru = new DiskLru(root, 1_000_000, Clock.systemUTC(), Runnable::run);
        Path dir = Files.createDirectories(root.resolve("3972/b1/x"));
        Path writing = dir.resolve(DiskLru.TEMP_PREFIX + DiskLru.NONCE + "-5678");
        Files.write(writing, bytes(100));
        lru.rebuild();
        assertThat(writing).exists();
        assertThat(lru.size()).isZero();
    }

    /**
     * A purge costs the image's own files, not a scan of the index: with 200,000 indexed files,
     * removing 1,000 images' variants keeps every lookup made meanwhile quick.
     */
    @Test
    void purgesDoNotHoldLookupsUpInALargeIndex() throws Exception {
        int indexed = Integer.getInteger("imgorigin.indexFiles", 200_000); // -D...=1000000 for the size
        DiskLru lru = lru(Long.MAX_VALUE);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < indexed; i++) {
            String id = String.format("%040x", i / 4);
            if (i % 4 == 0) {
                ids.add(id);
            }
            lru.adoptForTest(id.substring(0, 4) + "/" + id.substring(4, 6) + "/" + id + "/w_" + i + ".webp", 1_000);
        }
        java.util.concurrent.atomic.AtomicLong worst = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread looker = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                long t = System.nanoTime();
                lru.get(ids.get(0).substring(0, 4) + "/x");
                worst.accumulateAndGet(System.nanoTime() - t, Math::max);
            }
        });
        long start = System.nanoTime();
        for (String id : ids.subList(1, 1_001)) {
            lru.removeUnder(id.substring(0, 4) + "/" + id.substring(4, 6) + "/" + id);
        }
        long took = System.nanoTime() - start;
        done.set(true);
        looker.join();
        System.out.println("DiskLruTest: 1,000 purges among " + indexed + " indexed files took " + took / 1_000_000
                + " ms; slowest concurrent lookup " + worst.get() / 1_000 + " us");
        assertThat(lru.size()).isEqualTo(indexed - 4_000);
        // The old scan took ~40 ms per id at this size; now the whole batch is far under that.
        assertThat(took).as("1,000 purges, ns").isLessThan(2_000_000_000L);
        // A GC pause or a preempted thread on a loaded box can still stall one lookup; a scan
        // under the lock held every lookup for the whole batch.
        assertThat(worst.get()).as("slowest lookup during the purges, ns").isLessThan(1_000_000_000L);
    }

    @Test
    void refusesPathsOutsideItsRoot() throws Exception {
        DiskLru lru = lru(1_000_000);
        assertThatThrownBy(() -> lru.put("../escape", bytes(1))).hasMessageContaining("escapes");
    }

    @Test
    void aZeroBoundCachesNothing() throws Exception {
        DiskLru lru = lru(0);
        lru.put("v/a", bytes(10));
        assertThat(lru.get("v/a")).isEmpty();
        assertThat(root.resolve("v/a")).doesNotExist();
    }

    private long diskBytes() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
