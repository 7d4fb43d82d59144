package dev.eddy.eventstore.impl;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.function.BiConsumer;

/**
 * Where a backend keeps encoded batches, their key sections and metadata: the plug between the shared
 * engine and a backend. Writes, {@link #commitBlocking()} and {@link #closeBlocking()} are called only from
 * the engine's writer thread; {@link LogSlot#batchBlocking} from any thread, concurrently with writes.
 * Implementations must make everything written before a {@code commitBlocking()} durable atomically.
 */
public interface BatchStorage {

    /** A short backend name, e.g. {@code mapdb}. */
    String name();

    /**
     * Whether {@link LogSlot#batchBlocking} only reads memory (never blocks), so reads may run on an event
     * loop.
     */
    default boolean readsFromMemory() {
        return false;
    }

    /** The stored form of one log. */
    interface LogSlot {

        /** Stores a batch and its key section under the batch's first position (not yet committed). */
        void putBatchBlocking(long firstPosition, byte[] batch, byte[] keySection);

        /** The batch stored at that first position, or {@code null} if absent (trimmed or deleted). */
        byte[] batchBlocking(long firstPosition);

        /** Removes the batches (and key sections) with these first positions. */
        void removeBatchesBlocking(long[] firstPositions);

        /** Replaces the log's trim summary ({@link BatchCodec#encodeTrimSummary}). */
        void putTrimSummaryBlocking(byte[] summary);
    }

    /** A stored batch's place in its log, without its keys. */
    record BatchMeta(long first, int count, long arrivalMillis, long dataBytes) {
    }

    /** A log's key sections from a position on, in position order. */
    @FunctionalInterface
    interface KeySections {
        Iterator<byte[]> from(long firstPosition);
    }

    /** One stored log as found at open. */
    interface RecoveredLogConsumer {
        /**
         * @param trimSummary  the last trim summary or {@code null}
         * @param batches      every retained batch's meta, in position order (no key data: opening a log must
         *                     not read every key it ever had)
         * @param keySections  the key sections of the batches from a position on (the part the key index lacks)
         */
        void accept(String log, LogSlot slot, byte[] trimSummary, Iterator<BatchMeta> batches, KeySections keySections);
    }

    /** Gives every stored log (at open, before any write). */
    void recoverLogsBlocking(RecoveredLogConsumer consumer);

    /** Gives every stored metadata entry (at open, before any write). */
    void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer);

    /**
     * Where the engine keeps the on-disk key index (a directory of its own), or {@code null} to keep every
     * key in memory (a backend whose data lives in memory anyway).
     */
    default Path keyIndexDirectory() {
        return null;
    }

    /** Key index entries kept in memory before they are written to the key index's files. */
    default long keyIndexFlushEntries() {
        return 1L << 18;
    }

    /** Registers a new, empty log of that name. */
    LogSlot createLogBlocking(String log);

    /**
     * Detaches the log from its name (a later append creates a new log of that name) and marks what it
     * stored for removal by {@link #purgeBlocking}; durable with the next commit.
     */
    void detachLogBlocking(String log, LogSlot slot);

    /**
     * Removes at most {@code maxBatches} batches of detached logs (a deleted stream's data is reclaimed in
     * steps, so appends are never held up behind one huge deletion; pending work survives a restart).
     *
     * @return whether detached data remains to be removed
     */
    boolean purgeBlocking(int maxBatches);

    void putMetadataBlocking(MetadataKey key, byte[] value);

    void removeMetadataBlocking(MetadataKey key);

    /** Makes every write since the last commit durable, atomically; throws if it cannot. */
    void commitBlocking();

    /** Releases files and locks. */
    void closeBlocking();
}
