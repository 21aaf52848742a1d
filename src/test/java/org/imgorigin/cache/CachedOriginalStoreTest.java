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

        Counting(OriginalStore inner) {
            this.inner = inner;
        }

        @Override
        public Optional<Original> fetch(ImageId id) throws StoreException {
            fetches.incrementAndGet();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.fetch(id);
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
        CachedOriginalStore store = new CachedOriginalStore(remote, copies);
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
        CachedOriginalStore nodeB = new CachedOriginalStore(bucket, copies);
        assertThat(nodeB.fetch(ID)).isPresent(); // B now keeps a copy

        assertThat(bucket.delete(ID)).isTrue(); // deleted through node A
        assertThat(nodeB.exists(ID)).as("B asks the bucket, not its copy").isFalse();

        nodeB.evictLocalCopy(ID); // bin/imgorigin purge reaches B
        assertThat(copiesDir.resolve(ID.storageKey())).doesNotExist();
        assertThat(nodeB.fetch(ID)).isEmpty();
    }
}
