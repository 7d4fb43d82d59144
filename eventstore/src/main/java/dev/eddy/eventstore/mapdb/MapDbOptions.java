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
 * @param redoLog             commit through Eddy's segment log ({@code eddy.log/}: one append and fdatasync per commit;
 *                            the batches stay there, and a checkpointer records in MapDB where they lie) instead of a
 *                            MapDB commit per group with the batches in MapDB
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
     * The store file memory-mapped, the segment log, up to 256 writes or 16 MiB per commit.
     *
     * <p>Memory-mapped because behind the segment log MapDB holds only where batches lie, and its B-tree reads
     * dominate the checkpointer's work (through a FileChannel each node read was a {@code pread}); its commit, once
     * a second off the acknowledgement path, is slower mapped but no longer matters. Measured at 1,000
     * single-record appends/s with a WebSocket subscriber (server CPU per record, two runs): FileChannel 538 us,
     * mapped 487 us. (Without the log, when MapDB commits every group itself, FileChannel was faster in every run:
     * through this engine, 800 batches of 500 x 1 KiB over 8 logs, 69-117k records/s against 28-64k mapped.)
     */
    public static MapDbOptions defaults(Path dataDir) {
        return new MapDbOptions(dataDir, true, 256, 16L << 20, true, DEFAULT_KEY_INDEX_FLUSH_ENTRIES);
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
