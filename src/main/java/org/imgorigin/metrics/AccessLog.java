package org.imgorigin.metrics;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
        this(new java.io.FileOutputStream(java.io.FileDescriptor.out));
    }

    AccessLog(java.io.OutputStream out) {
        java.io.BufferedOutputStream buffered = new java.io.BufferedOutputStream(out, 256 * 1024);
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

    /**
     * Takes what has queued up every few milliseconds rather than waiting on the queue: a
     * waiting consumer would make every request's offer wake it, a system call per request.
     */
    private void drain(java.io.OutputStream out) {
        List<Entry> batch = new ArrayList<>(4096);
        StringBuilder lines = new StringBuilder(256 * 1024);
        Timestamps timestamps = new Timestamps();
        try {
            while (true) {
                entries.drainTo(batch, 4096);
                if (batch.isEmpty()) {
                    if (!open) {
                        break;
                    }
                    Thread.sleep(5);
                    continue;
                }
                lines.setLength(0);
                for (Entry entry : batch) {
                    format(timestamps.of(entry.time()), entry.request(), lines);
                }
                out.write(ascii(lines));
                out.flush();
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            open = false;
        }
    }

    /** The lines are ASCII by construction ({@link #string} escapes everything else). */
    private static byte[] ascii(StringBuilder text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) text.charAt(i);
        }
        return bytes;
    }

    /** ISO-8601 instants with nanoseconds; the date and time are formatted once a second. */
    static final class Timestamps {
        private long second = Long.MIN_VALUE;
        private String prefix = "";

        String of(Instant time) {
            if (time.getEpochSecond() != second) {
                second = time.getEpochSecond();
                String whole = Instant.ofEpochSecond(second).toString(); // 2026-11-23T16:22:09Z
                prefix = whole.substring(0, whole.length() - 1) + ".";
            }
            String nanos = Integer.toString(1_000_000_000 + time.getNano()).substring(1);
            return prefix + nanos + "Z";
        }
    }

    /** {@code {"time":…,"id":…,…,"ms":0.42}} and a newline; field names and order are part of the log's contract. */
    static void format(String time, RequestRecord r, StringBuilder out) {
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
                    if (c < 0x20 || c > 0x7e) {
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
