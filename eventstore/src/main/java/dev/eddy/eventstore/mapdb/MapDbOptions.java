package dev.eddy.eventstore.mapdb;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open a {@link MapDbEventStore}. Immutable.
 *
 * @param dataDir             the directory holding {@code eddy.db} and its write-ahead log (created if missing)
 * @param mmap                map the store file into memory instead of using a FileChannel (see {@link #defaults});
 *                            behind the redo log, MapDB's own write-ahead log is memory-mapped either way
 * @param maxAppendsPerCommit at most this many writes share one commit
 * @param maxBytesPerCommit   a commit group stops growing once its writes reach about this many bytes
 * @param redoLog             commit through Eddy's redo log ({@code eddy.db.redo.0/1}: one append and fdatasync per
 *                            commit, MapDB committed behind it by a checkpointer) instead of a MapDB commit per group
 * @param keyIndexFlushEntries key index entries (one per record, one per event id) kept in memory before they are
 *                            written to the key index's files ({@code eddy.keys/}); bounds the heap the key index takes
 *                            and what a reopen after a crash re-reads
 */
public record MapDbOptions(Path dataDir, boolean mmap, int maxAppendsPerCommit, long maxBytesPerCommit,
                           boolean redoLog, long keyIndexFlushEntries) {

    /** The default {@link #keyIndexFlushEntries}: about 40 MiB of heap per frozen or live table at most. */
    public static final long DEFAULT_KEY_INDEX_FLUSH_ENTRIES = 1L << 18;

    public MapDbOptions {
        if (keyIndexFlushEntries < 1) {
            throw new IllegalArgumentException("keyIndexFlushEntries must be >= 1, got " + keyIndexFlushEntries);
        }
        Objects.requireNonNull(dataDir, "dataDir");
        if (maxAppendsPerCommit < 1) {
            throw new IllegalArgumentException("maxAppendsPerCommit must be >= 1, got " + maxAppendsPerCommit);
        }
        if (maxBytesPerCommit < 1) {
            throw new IllegalArgumentException("maxBytesPerCommit must be >= 1, got " + maxBytesPerCommit);
        }
    }

    /** The options before the redo log existed: without it. */
    public MapDbOptions(Path dataDir, boolean mmap, int maxAppendsPerCommit, long maxBytesPerCommit) {
        this(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, false, DEFAULT_KEY_INDEX_FLUSH_ENTRIES);
    }

    /**
     * FileChannel, the redo log, up to 256 writes or 16 MiB per commit.
     *
     * <p>FileChannel because it was faster in every run here (2 shared cores, transactions on, two runs of
     * {@code MapDbThroughputProbe}, noisy): raw MapDB, 200 puts of 500 x 1 KiB batches, commit per 4 batches:
     * FileChannel 93-155k records/s, mmap 42-109k; through this engine (800 such batches over 8 logs, 16 in
     * flight, group commit): FileChannel 69-117k records/s (103-117k once warm), mmap 28-64k. A commit costs
     * several ms more with mmap (its WAL sync), which group commit cannot hide.
     */
    public static MapDbOptions defaults(Path dataDir) {
        return new MapDbOptions(dataDir, false, 256, 16L << 20, true, DEFAULT_KEY_INDEX_FLUSH_ENTRIES);
    }

    public MapDbOptions withRedoLog(boolean redoLog) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, redoLog, keyIndexFlushEntries);
    }

    public MapDbOptions withMmap(boolean mmap) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, redoLog, keyIndexFlushEntries);
    }

    public MapDbOptions withMaxAppendsPerCommit(int maxAppendsPerCommit) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, redoLog, keyIndexFlushEntries);
    }

    public MapDbOptions withKeyIndexFlushEntries(long keyIndexFlushEntries) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, redoLog, keyIndexFlushEntries);
    }

    public MapDbOptions withMaxBytesPerCommit(long maxBytesPerCommit) {
        return new MapDbOptions(dataDir, mmap, maxAppendsPerCommit, maxBytesPerCommit, redoLog, keyIndexFlushEntries);
    }
}
