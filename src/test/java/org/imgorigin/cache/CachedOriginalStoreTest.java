package org.imgorigin.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.Original;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.imgorigin.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedOriginalStoreTest {
    private static final ImageId ID = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");

    @TempDir
    Path remoteDir;
    @TempDir
    Path copiesDir;

    /** A real folder store that counts fetches and is slow, like a remote one. */
    static final class Counting implements OriginalStore {
        final OriginalStore inner;
        final AtomicInteger fetches = new AtomicInteger();
        /** Counted down when a fetch has started; the fetch then waits for {@link #release}. */
        volatile CountDownLatch started = new CountDownLatch(0);
        volatile CountDownLatch release = new CountDownLatch(0);

        Counting(OriginalStore inner) {
            this.inner = inner;
        }

        @Override
        public Optional<Original> fetch(ImageId id, SizeGate gate) throws StoreException {
            fetches.incrementAndGet();
            started.countDown();
            try {
                Thread.sleep(100);
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.fetch(id, gate);
        }

        @Override
        public boolean exists(ImageId id) throws StoreException {
            return inner.exists(id);
        }

        @Override
        public void put(ImageId id, byte[] bytes, String contentType) throws StoreException {
            inner.put(id, bytes, contentType);
        }

        @Override
        public boolean delete(ImageId id) throws StoreException {
            return inner.delete(id);
        }

        @Override
        public void append(String name) throws StoreException {
            inner.append(name);
        }

        @Override
        public java.util.List<String> entries(String startAfter, int max) throws StoreException {
            return inner.entries(startAfter, max);
        }

        @Override
        public void removeEntry(String name) throws StoreException {
            inner.removeEntry(name);
        }

        @Override
        public void check() throws StoreException {
            inner.check();
        }

        @Override
        public String describe() {
            return "counting";
        }
    }

    @Test
    void fourConcurrentFetchesCostOneRemoteGetAndLaterOnesNone() throws Exception {
        Counting remote = new Counting(OriginalStores.file(remoteDir));
        remote.put(ID, new byte[] {1, 2, 3}, "image/jpeg");
        DiskLru copies = new DiskLru(copiesDir, 1_000_000, Clock.systemUTC(), Runnable::run);
        copies.rebuild();
        CachedOriginalStore store = new CachedOriginalStore(remote, copies, invalidation(remote));
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<byte[]> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    results.add(store.fetch(ID).orElseThrow().bytes());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(results).hasSize(4).allSatisfy(b -> assertThat(b).containsExactly(1, 2, 3));
        assertThat(remote.fetches.get()).isEqualTo(1);
        assertThat(store.fetch(ID).orElseThrow().bytes()).containsExactly(1, 2, 3);
        assertThat(remote.fetches.get()).isEqualTo(1);
        assertThat(copiesDir.resolve(ID.storageKey())).exists();

        assertThat(store.delete(ID)).isTrue();
        assertThat(copiesDir.resolve(ID.storageKey())).doesNotExist();
        assertThat(store.fetch(ID)).isEmpty();
    }

    /**
     * Two nodes share a bucket; node B keeps a copy, the image is deleted through node A.
     * Re-uploading the same bytes to B must not be answered "already stored" from B's copy
     * (nothing would be in the bucket), and a purge on B drops the copy it would render from.
     */
    @Test
    void aLocalCopyNeverStandsInForTheBucket() throws Exception {
        OriginalStore bucket = OriginalStores.file(remoteDir);
        bucket.put(ID, new byte[] {1, 2, 3}, "image/jpeg");
        DiskLru copies = new DiskLru(copiesDir, 1_000_000, Clock.systemUTC(), Runnable::run);
        copies.rebuild();
        Invalidation invalidation = invalidation(bucket);
        CachedOriginalStore nodeB = new CachedOriginalStore(bucket, copies, invalidation);
        assertThat(nodeB.fetch(ID)).isPresent(); // B now keeps a copy

        assertThat(bucket.delete(ID)).isTrue(); // deleted through node A
        assertThat(nodeB.exists(ID)).as("B asks the bucket, not its copy").isFalse();

        invalidation.purge(ID); // bin/imgorigin purge reaches B
        assertThat(copiesDir.resolve(ID.storageKey())).doesNotExist();
        assertThat(nodeB.fetch(ID)).isEmpty();
    }

    private static Invalidation invalidation(OriginalStore store) {
        return new Invalidation(store, Optional.empty(), Clock.systemUTC());
    }

    /**
     * A GET in flight while the image is purged (or deleted through another node) answers its
     * caller, but leaves no local copy behind: the next render must read the bucket.
     */
    @Test
    void aGetInFlightDuringAPurgeLeavesNoCopy() throws Exception {
        Counting remote = new Counting(OriginalStores.file(remoteDir));
        remote.put(ID, new byte[] {1, 2, 3}, "image/jpeg");
        DiskLru copies = new DiskLru(copiesDir, 1_000_000, Clock.systemUTC(), Runnable::run);
        copies.rebuild();
        Invalidation invalidation = invalidation(remote);
        CachedOriginalStore store = new CachedOriginalStore(remote, copies, invalidation);
        remote.started = new CountDownLatch(1);
        remote.release = new CountDownLatch(1);
        var fetched = new java.util.concurrent.CompletableFuture<Optional<Original>>();
        Thread.ofVirtual().start(() -> {
            try {
                fetched.complete(store.fetch(ID));
            } catch (Exception e) {
                fetched.completeExceptionally(e);
            }
        });
        assertThat(remote.started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        invalidation.purge(ID);
        remote.release.countDown();
        assertThat(fetched.get(10, java.util.concurrent.TimeUnit.SECONDS)).isPresent();
        assertThat(copiesDir.resolve(ID.storageKey())).as("no copy written after the purge").doesNotExist();
        assertThat(copies.get(ID.storageKey())).isEmpty();
    }

    /** The size gate sees a local copy's size before it is read, and its refusal reaches the caller. */
    @Test
    void theSizeGateSeesALocalCopyBeforeItIsRead() throws Exception {
        OriginalStore bucket = OriginalStores.file(remoteDir);
        bucket.put(ID, new byte[5000], "image/jpeg");
        DiskLru copies = new DiskLru(copiesDir, 1_000_000, Clock.systemUTC(), Runnable::run);
        copies.rebuild();
        CachedOriginalStore store = new CachedOriginalStore(bucket, copies, invalidation(bucket));
        assertThat(store.fetch(ID)).isPresent(); // now a local copy
        List<Long> seen = new ArrayList<>();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.fetch(ID, size -> {
            seen.add(size);
            throw new IllegalStateException("too large");
        })).hasMessage("too large");
        assertThat(seen).containsExactly(5000L);
    }
}
