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
 * by the writer thread, by hand, straight into bytes: building it with a JSON library on the
 * event loop was a third of a cache hit's CPU. When the writer falls behind, lines are dropped and counted
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
        Ascii lines = new Ascii(256 * 1024);
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
                lines.clear();
                for (Entry entry : batch) {
                    format(timestamps, entry.time(), entry.request(), lines);
                }
                out.write(lines.bytes, 0, lines.length);
                out.flush();
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            open = false;
        }
    }

    /**
     * A growable byte buffer the lines are written into as ASCII: no StringBuilder, no
     * encoding pass, no number-to-String. This thread formats every request the server
     * answers, so it was a fifth of the CPU a cache hit cost the JVM.
     */
    static final class Ascii {
        private byte[] bytes;
        private int length;

        Ascii(int capacity) {
            bytes = new byte[capacity];
        }

        void clear() {
            length = 0;
        }

        private void room(int more) {
            if (length + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        Ascii put(char c) {
            room(1);
            bytes[length++] = (byte) c;
            return this;
        }

        /** Characters known to be printable ASCII (field names, constants). */
        Ascii put(String ascii) {
            room(ascii.length());
            for (int i = 0; i < ascii.length(); i++) {
                bytes[length++] = (byte) ascii.charAt(i);
            }
            return this;
        }

        Ascii put(byte[] ascii) {
            room(ascii.length);
            System.arraycopy(ascii, 0, bytes, length, ascii.length);
            length += ascii.length;
            return this;
        }

        Ascii put(long value) {
            if (value < 0) {
                put('-');
                if (value == Long.MIN_VALUE) {
                    return put(Long.toString(value).substring(1));
                }
                value = -value;
            }
            room(19);
            int start = length;
            do {
                bytes[length++] = (byte) ('0' + value % 10);
                value /= 10;
            } while (value > 0);
            for (int i = start, j = length - 1; i < j; i++, j--) {
                byte t = bytes[i];
                bytes[i] = bytes[j];
                bytes[j] = t;
            }
            return this;
        }

        /** {@code digits} digits of {@code value}, zero-padded on the left. */
        Ascii padded(long value, int digits) {
            room(digits);
            for (int i = length + digits - 1; i >= length; i--) {
                bytes[i] = (byte) ('0' + value % 10);
                value /= 10;
            }
            length += digits;
            return this;
        }

        @Override
        public String toString() {
            return new String(bytes, 0, length, java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /** ISO-8601 instants with nanoseconds; the date and time are formatted once a second. */
    static final class Timestamps {
        private long second = Long.MIN_VALUE;
        private byte[] prefix = new byte[0];

        void write(Instant time, Ascii out) {
            if (time.getEpochSecond() != second) {
                second = time.getEpochSecond();
                String whole = Instant.ofEpochSecond(second).toString(); // 2026-11-23T16:22:09Z
                prefix = (whole.substring(0, whole.length() - 1) + ".").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            }
            out.put(prefix).padded(time.getNano(), 9).put('Z');
        }
    }

    /** {@code {"time":…,"id":…,…,"ms":0.42}} and a newline; field names and order are part of the log's contract. */
    static void format(Timestamps timestamps, Instant time, RequestRecord r, Ascii out) {
        out.put("{\"time\":\"");
        timestamps.write(time, out);
        out.put('"');
        string(out, ",\"id\":\"", r.id());
        string(out, ",\"variant\":\"", r.variant());
        string(out, ",\"format\":\"", r.format());
        string(out, ",\"dpr\":\"", r.dpr());
        string(out, ",\"device\":\"", r.device().code());
        out.put(",\"status\":").put(r.status());
        string(out, ",\"cache\":\"", r.cache());
        out.put(",\"bytes\":").put(r.bytes());
        out.put(",\"ms\":");
        milliseconds(r.nanos(), out);
        out.put("}\n");
    }

    /**
     * Milliseconds rounded to hundredths, as {@code Double.toString(hundredths / 100.0)}
     * prints them ("0.05", "1.0", "12.3", "1234.56"), without the double.
     */
    static void milliseconds(long nanos, Ascii out) {
        long hundredths = Math.round(nanos / 10_000.0);
        if (hundredths < 0 || hundredths >= 1_000_000_000L) {
            // 10^7 ms and more (2.8 hours): Double.toString switches to "1.0E7" there.
            out.put(Double.toString(hundredths / 100.0));
            return;
        }
        out.put(hundredths / 100).put('.');
        long fraction = hundredths % 100;
        if (fraction % 10 == 0) {
            out.put(fraction / 10);
        } else {
            out.padded(fraction, 2);
        }
    }

    /** The opening (comma, quoted name, colon, quote), the value escaped, the closing quote. */
    private static void string(Ascii out, String opening, String value) {
        out.put(opening);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.put("\\\"");
                case '\\' -> out.put("\\\\");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.put("\\u").put(Character.forDigit(c >> 12 & 0xf, 16)).put(Character.forDigit(c >> 8 & 0xf, 16))
                                .put(Character.forDigit(c >> 4 & 0xf, 16)).put(Character.forDigit(c & 0xf, 16));
                    } else {
                        out.put(c);
                    }
                }
            }
        }
        out.put('"');
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
