package org.imgorigin.cache;

import java.nio.file.Path;

/** Where a cached variant was found: in memory (its bytes) or on disk (its file). */
public sealed interface Hit {
    /** The {@code X-Cache} value for this tier. */
    String tier();

    record Memory(byte[] bytes) implements Hit {
        @Override
        public String tier() {
            return "HIT-MEMORY";
        }
    }

    /** A file in the disk tier; {@code relativePath} is its path under the cache root (for X-Accel-Redirect). */
    record Disk(Path path, long size, String relativePath) implements Hit {
        @Override
        public String tier() {
            return "HIT-DISK";
        }
    }
}
