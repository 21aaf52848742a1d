package org.imgorigin.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One JSON line per request on standard output, written by one background thread so a
 * request never waits on a pipe. The event loop only enqueues the record; the line is built
 * by the writer thread, by hand: building it with a JSON library on the event loop was a
 * third of a cache hit's CPU. When the writer falls behind, lines are dropped and counted
 * rather than queued without bound.
 */
public final class AccessLog implements AutoCloseable {
    private static final int QUEUE = 65_536;

    private record Entry(Instant time, RequestRecord request) {
    }

    private final BlockingQueue<Entry> entries = new ArrayBlockingQueue<>(QUEUE);
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

    public void write(RequestRecord request) {
        if (!open || !entries.offer(new Entry(Instant.now(), request))) {
            dropped.increment();
        }
    }

    public long dropped() {
        return dropped.sum();
    }

    private void drain(BufferedWriter out) {
        List<Entry> batch = new ArrayList<>(1024);
        StringBuilder line = new StringBuilder(256);
        try {
            while (open || !entries.isEmpty()) {
                Entry first = entries.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                entries.drainTo(batch, 1023);
                for (Entry entry : batch) {
                    line.setLength(0);
                    format(entry.time(), entry.request(), line);
                    out.append(line);
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

    /** {@code {"time":…,"id":…,…,"ms":0.42}} and a newline; field names and order are part of the log's contract. */
    static void format(Instant time, RequestRecord r, StringBuilder out) {
        out.append("{\"time\":\"").append(time).append('"');
        string(out, "id", r.id());
        string(out, "variant", r.variant());
        string(out, "format", r.format());
        string(out, "dpr", r.dpr());
        string(out, "device", r.device().code());
        out.append(",\"status\":").append(r.status());
        string(out, "cache", r.cache());
        out.append(",\"bytes\":").append(r.bytes());
        out.append(",\"ms\":").append(Math.round(r.nanos() / 10_000.0) / 100.0);
        out.append("}\n");
    }

    private static void string(StringBuilder out, String name, String value) {
        out.append(",\"").append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
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
