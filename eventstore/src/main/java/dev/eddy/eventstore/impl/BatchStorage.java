package dev.eddy.eventstore.impl;

import java.util.Iterator;
import java.util.Map;
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

    /** One stored log as found at open. */
    interface RecoveredLogConsumer {
        /**
         * @param trimSummary  the last trim summary or {@code null}
         * @param keySections  the key sections in position order
         */
        void accept(String log, LogSlot slot, byte[] trimSummary, Iterator<Map.Entry<Long, byte[]>> keySections);
    }

    /** Gives every stored log (at open, before any write). */
    void recoverLogsBlocking(RecoveredLogConsumer consumer);

    /** Gives every stored metadata entry (at open, before any write). */
    void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer);

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
