package org.imgorigin.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One JSON line per request on standard output, written by one background thread so a
 * request never waits on a pipe. When the writer falls behind, lines are dropped and
 * counted rather than queued without bound.
 */
public final class AccessLog implements AutoCloseable {
    private static final int QUEUE = 65_536;

    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE);
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    private volatile boolean open = true;

    public AccessLog() {
        this(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    }

    AccessLog(Writer out) {
        BufferedWriter buffered = new BufferedWriter(out, 64 * 1024);
        writer = Thread.ofPlatform().daemon().name("imgorigin-access-log").start(() -> drain(buffered));
    }

    public void write(String line) {
        if (!open || !lines.offer(line)) {
            dropped.increment();
        }
    }

    public long dropped() {
        return dropped.sum();
    }

    private void drain(BufferedWriter out) {
        List<String> batch = new ArrayList<>(1024);
        try {
            while (open || !lines.isEmpty()) {
                String first = lines.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                lines.drainTo(batch, 1023);
                for (String line : batch) {
                    out.write(line);
                    out.write('\n');
                }
                out.flush();
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            open = false;
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            writer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
