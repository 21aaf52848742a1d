package org.imgorigin.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imgorigin.image.ImageId;
import org.imgorigin.store.OriginalStore;
import org.imgorigin.store.OriginalStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deletes through one node reach the others through the store's journal; one rule at a time. */
class DeleteJournalTest {
    private static final ImageId A = new ImageId("3972b16287e595a88a50624587bccc66ece0f4c7");
    private static final ImageId B = new ImageId("aaaab16287e595a88a50624587bccc66ece0f4c7");
    private static final ImageId C = new ImageId("bbbbb16287e595a88a50624587bccc66ece0f4c7");
    private static final Duration RETENTION = Duration.ofDays(30);

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));

    private OriginalStore store() {
        return OriginalStores.file(dir.resolve("originals"));
    }

    private DeleteJournal node(String name) {
        return new DeleteJournal(store(), Optional.of(dir.resolve(name).resolve("journal")), clock, RETENTION);
    }

    private static List<ImageId> read(DeleteJournal journal) throws Exception {
        List<ImageId> applied = new ArrayList<>();
        journal.read(applied::add);
        return applied;
    }

    @Test
    void aNodeAppliesEachOtherNodesDeleteOnceAndNotItsOwn() throws Exception {
        DeleteJournal one = node("one");
        DeleteJournal two = node("two");
        one.record(A);
        assertThat(read(two)).containsExactly(A);
        assertThat(read(one)).as("its own delete is done already").isEmpty();
        clock.advance(Duration.ofSeconds(10));
        two.record(B);
        one.record(C);
        assertThat(read(two)).as("listed again within the window, applied once").containsExactly(C);
        assertThat(read(one)).containsExactly(B);
    }

    @Test
    void aNodeDownDuringADeleteAppliesItWhenItStartsAgain() throws Exception {
        DeleteJournal two = node("two");
        assertThat(read(two)).isEmpty();
        clock.advance(Duration.ofHours(5)); // down for five hours
        node("one").record(A);
        clock.advance(Duration.ofHours(1));
        assertThat(read(node("two"))).as("the same cache directory, restarted").containsExactly(A);
        assertThat(read(node("two"))).as("the position was kept").isEmpty();
    }

    /** Another node's clock runs behind ours, or its entry lands late: still read, within the skew. */
    @Test
    void anEntryStampedBeforeTheLastReadIsReadWithinTheSkew() throws Exception {
        DeleteJournal two = node("two");
        read(two);
        store().append(DeleteJournal.name(clock.millis() - Duration.ofMinutes(4).toMillis(), A));
        store().append(DeleteJournal.name(clock.millis() - DeleteJournal.SKEW.toMillis() - 60_000, B));
        assertThat(read(two)).containsExactly(A);
    }

    @Test
    void aReadTheStoreCutShortIsDoneAgainAndNothingIsLost() throws Exception {
        node("one").record(A);
        OriginalStore store = store();
        OriginalStore failing = (OriginalStore) java.lang.reflect.Proxy.newProxyInstance(
                OriginalStore.class.getClassLoader(), new Class<?>[] {OriginalStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("entries")) {
                        throw new org.imgorigin.store.StoreException(org.imgorigin.store.StoreException.Kind.FAILED, "down");
                    }
                    return method.invoke(store, args);
                });
        Path position = dir.resolve("two/journal");
        assertThatThrownBy(() -> new DeleteJournal(failing, Optional.of(position), clock, RETENTION).read(id -> { }))
                .isInstanceOf(org.imgorigin.store.StoreException.class);
        assertThat(position).as("no position saved").doesNotExist();
        clock.advance(Duration.ofMinutes(30));
        assertThat(read(node("two"))).containsExactly(A);
    }

    /**
     * More entries than a page, names that are not delete entries among them (another kind, a
     * stray file), and a store that returns short pages: every delete is read, in order.
     */
    @Test
    void everyEntryIsReadPastPagesAndNamesItDoesNotKnow() throws Exception {
        OriginalStore store = store();
        List<ImageId> written = new ArrayList<>();
        long t = clock.millis() - Duration.ofHours(2).toMillis();
        for (int i = 0; i < 2_500; i++) {
            ImageId id = new ImageId(String.format("%040x", i + 1));
            store.append(DeleteJournal.name(t + i, id));
            written.add(id);
            if (i % 700 == 0) {
                store.append(String.format("%013d", t + i) + "-purged-" + id.value()); // a newer version's kind
                store.append(String.format("%013d", t + i) + "x"); // a stray file
            }
        }
        OriginalStore shortPages = (OriginalStore) java.lang.reflect.Proxy.newProxyInstance(
                OriginalStore.class.getClassLoader(), new Class<?>[] {OriginalStore.class}, (proxy, method, args) -> {
                    Object result = method.invoke(store, args);
                    if (method.getName().equals("entries")) {
                        List<?> page = (List<?>) result;
                        return page.subList(0, Math.min(page.size(), 37)); // S3-compatible stores may
                    }
                    return result;
                });
        DeleteJournal reader = new DeleteJournal(store, Optional.empty(), clock, RETENTION);
        List<ImageId> applied = new ArrayList<>();
        reader.read(applied::add);
        assertThat(applied).containsExactlyElementsOf(written);
        clock.advance(Duration.ofHours(2)); // a second reader, from before all of them
        List<ImageId> again = new ArrayList<>();
        new DeleteJournal(shortPages, Optional.empty(), clock, RETENTION).read(again::add);
        assertThat(again).containsExactlyElementsOf(written);
        clock.advance(RETENTION);
        clock.advance(Duration.ofHours(2));
        reader.read(id -> { });
        assertThat(store.entries("", 10_000)).as("pruned, other kinds left alone").hasSize(8)
                .allMatch(name -> !name.contains("-deleted-"));
    }

    @Test
    void aNewNodeReadsTheRetentionAndOldEntriesArePruned() throws Exception {
        OriginalStore store = store();
        store.append(DeleteJournal.name(clock.millis() - RETENTION.toMillis() - Duration.ofMinutes(10).toMillis(), A));
        store.append(DeleteJournal.name(clock.millis() - RETENTION.toMillis() + Duration.ofHours(2).toMillis(), B));
        store.append("not-ours");
        DeleteJournal reader = node("new");
        assertThat(read(reader)).containsExactly(B);
        assertThat(store.entries("", 10)).as("not pruned by the first read, which start-up waits for").hasSize(3);
        clock.advance(Duration.ofHours(1));
        assertThat(read(reader)).isEmpty();
        assertThat(store.entries("", 10)).as("the expired entry went; others stay")
                .hasSize(2).noneMatch(name -> name.endsWith(A.value()));
    }

    @Test
    void anUnreadableOrMissingPositionReadsEverything() throws Exception {
        node("one").record(A);
        Path position = dir.resolve("two/journal");
        Files.createDirectories(position.getParent());
        Files.writeString(position, "garbage");
        assertThat(read(node("two"))).containsExactly(A);
        assertThat(Files.readString(position).strip()).isEqualTo(Long.toString(clock.millis()));
    }

    @Test
    void namesThatAreNotEntriesAreRefusedByTheStore() {
        assertThatThrownBy(() -> store().append("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThat(DeleteJournal.id("0000000000001-deleted-XYZ")).isEmpty();
        assertThat(DeleteJournal.stamp("abc")).isEqualTo(-1);
    }

    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

}
