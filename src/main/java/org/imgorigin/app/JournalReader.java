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
 * at start, which the server waits for (boundedly, {@link #awaitFirstRead}) before it serves,
 * then every {@code IMGORIGIN_JOURNAL_INTERVAL}. A read that fails is tried again every second
 * until the first read has succeeded, then every {@link #RETRY} at most (a store still coming
 * up, a short outage). Failing is logged once when it starts and once when it ends.
 */
final class JournalReader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JournalReader.class.getName());

    private final Invalidation invalidation;
    private final Metrics metrics;
    private final Duration interval;
    /** After a failed read, the next comes at the latest after this, whatever the interval. */
    private static final Duration RETRY = Duration.ofSeconds(10);
    private final CountDownLatch firstRead = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;

    JournalReader(Invalidation invalidation, Metrics metrics, Duration interval) {
        this.invalidation = invalidation;
        this.metrics = metrics;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("imgorigin-journal").start(this::run);
    }

    /** Waits up to {@code limit} for the first successful read; false if there was none. */
    boolean awaitFirstRead(Duration limit) throws InterruptedException {
        return firstRead.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        boolean failing = false;
        while (!closed) {
            Duration next = interval;
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
                firstRead.countDown();
            } catch (Exception e) {
                if (closed) {
                    return; // the store closing under a read, at shutdown
                }
                metrics.journalRead("failed", 0);
                if (!failing) {
                    LOG.log(Level.WARNING, "cannot read the journal of deletes (trying again; deletes through "
                            + "other nodes wait until then): " + e.getMessage());
                }
                failing = true;
                next = firstRead.getCount() > 0 ? Duration.ofSeconds(1) : (interval.compareTo(RETRY) < 0 ? interval : RETRY);
            }
            try {
                Thread.sleep(next);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        thread.join(Duration.ofSeconds(5));
    }
}
