package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;
import static dev.eddy.eventstore.tck.EventStoreTckBase.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A failed commit fences the store: nothing uncommitted is acknowledged or becomes visible. */
class FencingTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        await(vertx.close());
    }

    /** Batches in a map; commits fail once {@code failCommits} is set. */
    static final class FlakyStorage implements BatchStorage {
        final AtomicBoolean failCommits = new AtomicBoolean();

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
        }

        @Override
        public void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer) {
        }

        @Override
        public LogSlot createLogBlocking(String log) {
            ConcurrentSkipListMap<Long, byte[]> batches = new ConcurrentSkipListMap<>();
            return new LogSlot() {
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
                }

                @Override
                public void putTrimSummaryBlocking(byte[] summary) {
                }
            };
        }

        @Override
        public void detachLogBlocking(String log, LogSlot slot) {
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
            if (failCommits.get()) {
                throw new IllegalStateException("disk full (simulated)");
            }
        }

        @Override
        public void closeBlocking() {
        }
    }

    @Test
    void aFailedCommitFencesTheStore() {
        FlakyStorage storage = new FlakyStorage();
        StoreEngine store = new StoreEngine(vertx, storage, 16, 1 << 20) {
        };
        await(store.append("log", AppendBatch.of(List.of(NewRecord.of("k", new byte[]{1})), 1)));
        storage.failCommits.set(true);
        StorageUnavailableException e = awaitFailure(StorageUnavailableException.class,
                store.append("log", AppendBatch.of(List.of(NewRecord.of("k", new byte[]{2})), 1)));
        assertEquals("disk full (simulated)", e.getCause().getMessage());
        awaitFailure(StorageUnavailableException.class, store.read("log", 0, 10, 100));
        awaitFailure(StorageUnavailableException.class, store.put("ns", "k", new byte[0]));
        awaitFailure(StorageUnavailableException.class,
                store.append("log", AppendBatch.of(List.of(NewRecord.of("k", new byte[]{3})), 1)));
        await(store.close());
    }
}
