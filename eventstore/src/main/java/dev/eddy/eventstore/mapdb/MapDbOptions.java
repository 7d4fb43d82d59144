package dev.eddy.eventstore.mapdb;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open a {@link MapDbEventStore}. Immutable.
 *
 * @param dataDir             the directory holding {@code eddy.db} and its write-ahead log (created if missing)
 * @param mmap                map the file into memory instead of using a FileChannel (see {@link #defaults})
 * @param maxAppendsPerCommit at most this many writes share one commit
 * @param maxBytesPerCommit   a commit group stops growing once its writes reach about this many bytes
 */
public record MapDbOptions(Path dataDir, boolean mmap, int maxAppendsPerCommit, long maxBytesPerCommit) {

    public MapDbOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        if (maxAppendsPerCommit < 1) {
            throw new IllegalArgumentException("maxAppendsPerCommit must be >= 1, got " + maxAppendsPerCommit);
        }
        if (maxBytesPerCommit < 1) {
            throw new IllegalArgumentException("maxBytesPerCommit must be >= 1, got " + maxBytesPerCommit);
        }
    }

    /**
     * FileChannel, up to 256 writes or 16 MiB per commit.
     *
     * <p>MEASURED_PLACEHOLDER
     */
    public static MapDbOptions defaults(Path dataDir) {
        return new MapDbOptions(dataDir, false, 256, 16L << 20);
    }

    public MapDbOptions withMmap(boolean mmap) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit);
    }

    public MapDbOptions withMaxAppendsPerCommit(int maxAppendsPerCommit) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit);
    }

    public MapDbOptions withMaxBytesPerCommit(long maxBytesPerCommit) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit);
    }
}
