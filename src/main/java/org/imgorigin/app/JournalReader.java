package org.imgorigin.app;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.imgorigin.cache.Invalidation;
import org.imgorigin.metrics.Metrics;

/**
 * Reads the store's journal of deletes ({@link Invalidation#readJournal}) on a virtual thread:
 * once at start, which the server waits for (boundedly) before it serves, then every
 * {@code IMGORIGIN_JOURNAL_INTERVAL}. A store that cannot be read is logged once when it starts
 * failing and once when it recovers; the deletes it holds are applied then.
 */
final class JournalReader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JournalReader.class.getName());

    private final Invalidation invalidation;
    private final Metrics metrics;
    private final Duration interval;
    private final CountDownLatch firstRead = new CountDownLatch(1);
    private final Thread thread;

    JournalReader(Invalidation invalidation, Metrics metrics, Duration interval) {
        this.invalidation = invalidation;
        this.metrics = metrics;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("imgorigin-journal").start(this::run);
    }

    /** Waits up to {@code limit} for the first read to end; false if it has not. */
    boolean awaitFirstRead(Duration limit) throws InterruptedException {
        return firstRead.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        boolean failing = false;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                int applied = invalidation.readJournal();
                metrics.journalRead("ok", applied);
                if (applied > 0) {
                    LOG.info(() -> "removed the copies of " + applied + " images deleted through other nodes");
                }
                if (failing) {
                    LOG.info("the journal of deletes is readable again");
                }
                failing = false;
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                metrics.journalRead("failed", 0);
                if (!failing) {
                    LOG.log(Level.WARNING, "cannot read the journal of deletes (retrying every " + interval.toSeconds()
                            + " s; deletes through other nodes wait until then): " + e.getMessage());
                }
                failing = true;
            } finally {
                firstRead.countDown();
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join(Duration.ofSeconds(5));
    }
}
