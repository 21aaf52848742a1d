package org.imgorigin.upload;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The last few images uploaded to this node, newest first, for the home page. */
public final class RecentUploads {
    private final int capacity;
    private final Deque<Ingest.Stored> recent = new ArrayDeque<>();

    public RecentUploads(int capacity) {
        this.capacity = capacity;
    }

    public synchronized void add(Ingest.Stored stored) {
        recent.removeIf(s -> s.id().equals(stored.id()));
        recent.addFirst(stored);
        while (recent.size() > capacity) {
            recent.removeLast();
        }
    }

    public synchronized List<Ingest.Stored> list() {
        return List.copyOf(recent);
    }
}
