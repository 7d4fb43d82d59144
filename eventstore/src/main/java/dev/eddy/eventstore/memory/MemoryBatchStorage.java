package dev.eddy.eventstore.memory;

import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.impl.MetadataKey;

import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;

/**
 * Batches kept in concurrent maps; commits are no-ops (the engine's ordering still applies). Thread-safe.
 * Metadata needs no copy here: the engine's in-memory view is the only one.
 */
final class MemoryBatchStorage implements BatchStorage {

    private static final class Slot implements LogSlot {
        private final ConcurrentSkipListMap<Long, byte[]> batches = new ConcurrentSkipListMap<>();

        @Override
        public void putBatchBlocking(long firstPosition, byte[] batch, byte[] keySection) {
            batches.put(firstPosition, batch);
        }

        @Override
        public byte[] batchBlocking(long firstPosition) {
            return batches.get(firstPosition);
        }

        @Override
        public void removeBatchesBlocking(long[] firstPositions) {
            for (long first : firstPositions) {
                batches.remove(first);
            }
        }

        @Override
        public void putTrimSummaryBlocking(byte[] summary) {
            // Nothing to reopen from.
        }
    }

    @Override
    public boolean readsFromMemory() {
        return true;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
    }

    @Override
    public void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer) {
    }

    @Override
    public LogSlot createLogBlocking(String log) {
        return new Slot();
    }

    @Override
    public void detachLogBlocking(String log, LogSlot slot) {
        ((Slot) slot).batches.clear(); // unreachable now; the garbage collector reclaims it
    }

    @Override
    public boolean purgeBlocking(int maxBatches) {
        return false;
    }

    @Override
    public void putMetadataBlocking(MetadataKey key, byte[] value) {
    }

    @Override
    public void removeMetadataBlocking(MetadataKey key) {
    }

    @Override
    public void commitBlocking() {
    }

    @Override
    public void closeBlocking() {
    }
}
