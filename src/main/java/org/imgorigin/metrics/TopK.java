package org.imgorigin.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The most frequent keys of a stream in bounded memory: Metwally's Space-Saving algorithm.
 * It keeps {@code capacity} counters whatever the number of distinct keys; a new key takes
 * over the smallest counter, inheriting its count as its possible overestimate. Every key
 * whose true frequency exceeds n/capacity is guaranteed to be present. Thread-safe.
 */
public final class TopK {
    private final int capacity;
    private final Map<String, Counter> counters;
    private final java.util.TreeSet<Counter> byCount = new java.util.TreeSet<>(
            Comparator.comparingLong((Counter c) -> c.count).thenComparing(c -> c.key));

    private static final class Counter {
        final String key;
        long count;
        long error;

        Counter(String key, long count, long error) {
            this.key = key;
            this.count = count;
            this.error = error;
        }
    }

    /** A key, its estimated count, and how much of that count may be overestimated. */
    public record Entry(String key, long count, long error) {
    }

    public TopK(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.counters = new HashMap<>(capacity * 2);
    }

    public synchronized void add(String key) {
        Counter c = counters.get(key);
        if (c != null) {
            byCount.remove(c);
            c.count++;
            byCount.add(c);
            return;
        }
        if (counters.size() < capacity) {
            c = new Counter(key, 1, 0);
        } else {
            Counter smallest = byCount.pollFirst();
            counters.remove(smallest.key);
            c = new Counter(key, smallest.count + 1, smallest.count);
        }
        counters.put(key, c);
        byCount.add(c);
    }

    /** The {@code n} most frequent keys, most frequent first. */
    public synchronized List<Entry> top(int n) {
        List<Entry> out = new ArrayList<>(Math.min(n, counters.size()));
        for (Counter c : byCount.descendingSet()) {
            if (out.size() == n) {
                break;
            }
            out.add(new Entry(c.key, c.count, c.error));
        }
        return out;
    }

    public synchronized int size() {
        return counters.size();
    }
}
