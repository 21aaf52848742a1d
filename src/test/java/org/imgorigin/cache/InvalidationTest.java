package org.imgorigin.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fence and tombstone rules, one interleaving at a time. */
class InvalidationTest {
    private static final ImageId ID = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");
    private static final ImageId OTHER = new ImageId("aaaab16287e595a88a50624587bccc66ece0f4c7");

    @TempDir
    Path dir;

    private Invalidation invalidation(Clock clock) {
        OriginalStore store = OriginalStores.file(dir.resolve("originals"));
        return new Invalidation(store, Optional.of(dir.resolve("state/deleted")), clock);
    }

    @Test
    void workBeganBeforeAPurgeWritesNothingAndWorkAfterItDoes() throws Exception {
        Invalidation inv = invalidation(Clock.systemUTC());
        long before = inv.ticket();
        inv.purge(ID);
        List<String> kept = new ArrayList<>();
        assertThat(inv.write(ID, before, () -> kept.add("stale"), () -> kept.remove("stale"))).isFalse();
        assertThat(inv.write(OTHER, before, () -> kept.add("other id"), () -> { })).as("other ids unaffected").isTrue();
        long after = inv.ticket();
        assertThat(inv.write(ID, after, () -> kept.add("fresh"), () -> { })).isTrue();
        assertThat(kept).containsExactly("other id", "fresh");
    }

    /**
     * Work that starts while the copies are being removed may read a copy not yet removed:
     * nothing it writes may stand, neither during the removal nor after it.
     */
    @Test
    void workStartedWhileCopiesAreRemovedWritesNothing() throws Exception {
        Invalidation inv = invalidation(Clock.systemUTC());
        CountDownLatch dropping = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        inv.register(id -> {
            dropping.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        });
        CompletableFuture<Integer> purge = CompletableFuture.supplyAsync(() -> {
            try {
                return inv.purge(ID);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(dropping.await(10, TimeUnit.SECONDS)).isTrue();
        long during = inv.ticket();
        assertThat(inv.current(ID, during)).as("while the drop runs").isFalse();
        assertThat(inv.write(ID, during, () -> { }, () -> { })).isFalse();
        release.countDown();
        assertThat(purge.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(inv.current(ID, during)).as("after the drop, work begun during it").isFalse();
        assertThat(inv.current(ID, inv.ticket())).as("work begun after it").isTrue();
    }

    /** A write that lands while a purge raises its fence is undone. */
    @Test
    void aWriteThatRacesTheFenceIsUndone() throws Exception {
        Invalidation inv = invalidation(Clock.systemUTC());
        long ticket = inv.ticket();
        AtomicReference<String> copy = new AtomicReference<>();
        boolean stands = inv.write(ID, ticket, () -> {
            copy.set("written");
            inv.purge(ID); // the purge lands between the write and its check
        }, () -> copy.set(null));
        assertThat(stands).isFalse();
        assertThat(copy.get()).isNull();
    }

    @Test
    void aDeleteIsRememberedAcrossARestartUntilTheImageIsUploadedAgain() throws Exception {
        Invalidation first = invalidation(Clock.systemUTC());
        assertThat(Files.exists(dir.resolve("state/deleted"))).as("made by the first delete").isFalse();
        first.delete(ID);
        first.close();
        Invalidation second = invalidation(Clock.systemUTC());
        assertThat(second.deleted(ID)).isTrue();
        assertThat(second.current(ID, second.ticket())).isFalse();
        assertThat(second.deleted(OTHER)).isFalse();
        second.undelete(ID);
        second.close();
        Invalidation third = invalidation(Clock.systemUTC());
        assertThat(third.deleted(ID)).isFalse();
        third.close();
    }

    @Test
    void tombstonesExpire() throws Exception {
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        Invalidation first = invalidation(Clock.fixed(t0, ZoneOffset.UTC));
        first.delete(ID);
        first.close();
        Invalidation later = invalidation(Clock.fixed(t0.plus(Invalidation.TOMBSTONE_LIFETIME).plus(Duration.ofHours(1)),
                ZoneOffset.UTC));
        assertThat(later.deleted(ID)).isFalse();
        later.close();
    }

    /** A store that fails the delete: the node still refuses the image and drops its copies. */
    @Test
    void aFailedStoreDeleteStillDropsTheCopies() throws Exception {
        OriginalStore failing = new OriginalStore() {
            @Override
            public Optional<org.imgorigin.store.Original> fetch(ImageId id, SizeGate gate) {
                return Optional.empty();
            }

            @Override
            public boolean exists(ImageId id) {
                return true;
            }

            @Override
            public void put(ImageId id, byte[] bytes, String contentType) {
            }

            @Override
            public boolean delete(ImageId id) throws org.imgorigin.store.StoreException {
                throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED, "down");
            }

            @Override
            public void append(String name) throws org.imgorigin.store.StoreException {
                throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED, "down");
            }

            @Override
            public java.util.List<String> entries(String startAfter, int max) throws org.imgorigin.store.StoreException {
                throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED, "down");
            }

            @Override
            public void removeEntry(String name) throws org.imgorigin.store.StoreException {
                throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED, "down");
            }

            @Override
            public void check() {
            }

            @Override
            public String describe() {
                return "failing";
            }
        };
        Invalidation inv = new Invalidation(failing, Optional.empty(), Clock.systemUTC());
        List<ImageId> dropped = new ArrayList<>();
        inv.register(id -> {
            dropped.add(id);
            return 1;
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> inv.delete(ID))
                .isInstanceOf(org.imgorigin.store.StoreException.class);
        assertThat(dropped).containsExactly(ID);
        assertThat(inv.deleted(ID)).isTrue();
    }

    /**
     * Two nodes over one store. A delete through A reaches B through the journal; an image
     * whose copies B cannot remove (a failing disk) is refused there instead, and does not hold
     * back the entries after it.
     */
    @Test
    void aDeleteThroughAnotherNodeDropsTheCopiesOrRefusesTheImage() throws Exception {
        OriginalStore store = OriginalStores.file(dir.resolve("originals"));
        Invalidation a = new Invalidation(store, Optional.of(dir.resolve("a/deleted")), Optional.empty(),
                Optional.of(dir.resolve("a/journal")), Clock.systemUTC());
        Invalidation b = new Invalidation(store, Optional.of(dir.resolve("b/deleted")), Optional.empty(),
                Optional.of(dir.resolve("b/journal")), Clock.systemUTC());
        List<ImageId> dropped = new ArrayList<>();
        b.registerVariants(id -> {
            if (id.equals(ID)) {
                throw new java.io.IOException("read-only file system");
            }
            dropped.add(id);
            return 1;
        });
        assertThat(b.readJournal()).isZero();
        store.put(ID, new byte[] {1}, "image/jpeg");
        store.put(OTHER, new byte[] {2}, "image/jpeg");
        assertThat(a.delete(ID)).isTrue();
        assertThat(a.delete(OTHER)).isTrue();
        assertThat(b.readJournal()).isEqualTo(2);
        assertThat(dropped).containsExactly(OTHER);
        assertThat(b.deleted(ID)).as("a copy B could not remove is refused").isTrue();
        assertThat(b.deleted(OTHER)).as("B keeps no tombstone where its copies went").isFalse();
        a.close();
        b.close();
    }

    /**
     * A delete whose journal entry could not be written: 502 for the client, whose retry
     * finishes it (204, not 404); the finished delete survives a restart, and its tombstone
     * lifts once the same bytes are back in the store (uploaded through another node).
     */
    @Test
    void anUnfinishedDeleteIsFinishedByItsRetryAndLiftsWhenTheImageComesBack() throws Exception {
        OriginalStore files = OriginalStores.file(dir.resolve("originals"));
        java.util.concurrent.atomic.AtomicBoolean journalDown = new java.util.concurrent.atomic.AtomicBoolean(true);
        OriginalStore store = (OriginalStore) java.lang.reflect.Proxy.newProxyInstance(
                OriginalStore.class.getClassLoader(), new Class<?>[] {OriginalStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("append") && journalDown.get()) {
                        throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED,
                                "down");
                    }
                    try {
                        return method.invoke(files, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        files.put(ID, new byte[] {1}, "image/jpeg");
        Invalidation a = new Invalidation(store, Optional.of(dir.resolve("a/deleted")), Optional.empty(),
                Optional.of(dir.resolve("a/journal")), Clock.systemUTC());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.delete(ID))
                .isInstanceOf(org.imgorigin.store.StoreException.class);
        assertThat(files.exists(ID)).isFalse();
        assertThat(a.liftIfBack(ID)).isTrue();
        journalDown.set(false);
        assertThat(a.delete(ID)).as("the retry finishes the delete").isTrue();
        assertThat(files.entries("", 10)).singleElement().matches(name -> name.endsWith("-deleted-" + ID.value()));
        a.close();

        Invalidation restarted = new Invalidation(store, Optional.of(dir.resolve("a/deleted")), Optional.empty(),
                Optional.of(dir.resolve("a/journal")), Clock.systemUTC());
        assertThat(restarted.liftIfBack(ID)).as("still deleted: the store has no original").isTrue();
        files.put(ID, new byte[] {1}, "image/jpeg"); // uploaded again through another node
        assertThat(restarted.liftIfBack(ID)).as("the finished delete, remembered across the restart, lifts").isFalse();
        assertThat(restarted.deleted(ID)).isFalse();
        restarted.close();
    }

    private static final ImageId LAYER = new ImageId("bbbbb16287e595a88a50624587bccc66ece0f4c7");

    /**
     * A composite (ID drawn with LAYER): written only if neither image was purged since its work
     * began; a purge of the layer removes ID's variants, also after a restart (the record is on
     * disk), and only the variant tier's; and a render whose record the purge forgot, writing
     * after it, is refused, so that its retry records again.
     */
    @Test
    void purgingALayerRemovesTheVariantsOfWhatDrewIt() throws Exception {
        Path composites = dir.resolve("state/composites");
        List<ImageId> variantsDropped = new ArrayList<>();
        List<ImageId> otherDropped = new ArrayList<>();
        Invalidation inv = new Invalidation(OriginalStores.file(dir.resolve("originals")),
                Optional.of(dir.resolve("state/deleted")), Optional.of(composites), Optional.empty(), Clock.systemUTC());
        inv.registerVariants(id -> {
            variantsDropped.add(id);
            return 1;
        });
        inv.register(id -> {
            otherDropped.add(id);
            return 0;
        });
        long before = inv.ticket();
        inv.composedOf(ID, List.of(LAYER));
        assertThat(composites.resolve(LAYER.value()).resolve(ID.value())).exists();
        inv.purge(LAYER);
        assertThat(variantsDropped).containsExactly(LAYER, ID);
        assertThat(otherDropped).as("only the variants of what drew it").containsExactly(LAYER);
        assertThat(composites.resolve(LAYER.value()).resolve(ID.value())).doesNotExist();
        assertThat(inv.write(ID, List.of(LAYER), before, () -> { }, () -> { })).isFalse();
        assertThat(inv.write(ID, List.of(), before, () -> { }, () -> { }))
                .as("the image's own variants are fenced while they are removed").isFalse();

        long after = inv.ticket();
        inv.composedOf(ID, List.of(LAYER));
        assertThat(inv.write(ID, List.of(LAYER), after, () -> { }, () -> { })).isTrue();
        // A new node object over the same directory (a restart) finds the record.
        List<ImageId> afterRestart = new ArrayList<>();
        Invalidation restarted = new Invalidation(OriginalStores.file(dir.resolve("originals")),
                Optional.of(dir.resolve("state/deleted")), Optional.of(composites), Optional.empty(), Clock.systemUTC());
        restarted.registerVariants(id -> {
            afterRestart.add(id);
            return 1;
        });
        restarted.purge(LAYER);
        assertThat(afterRestart).containsExactly(LAYER, ID);
        // The layer itself purged again: nothing recorded, nothing more dropped.
        afterRestart.clear();
        restarted.purge(LAYER);
        assertThat(afterRestart).containsExactly(LAYER);
    }
}
