package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.impl.BatchCodec;
import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A deleted log's space is reclaimed in steps behind the writer, and a restart finishes an interrupted purge. */
class MapDbPurgeTest extends EventStoreTckBase {

    private MapDbFixture mapdb;

    @Override
    protected MapDbFixture fixture() {
        mapdb = new MapDbFixture();
        return mapdb;
    }

    @Test
    void anInterruptedPurgeIsFinishedAfterARestart() {
        await(store.close());
        long bigId;
        MapDbBatchStorage storage = MapDbBatchStorage.openBlocking(MapDbOptions.defaults(mapdb.dir()));
        try {
            BatchStorage.LogSlot big = storage.createLogBlocking("big");
            for (int i = 0; i < 100; i++) {
                BatchCodec.Encoded batch = BatchCodec.encode(i, 0, List.of(NewRecord.of("k", new byte[]{1})), new long[]{i});
                big.putBatchBlocking(i, batch.batch(), batch.keySection());
            }
            storage.commitBlocking();
            bigId = single(storage.batchCollectionIdsBlocking());
            storage.detachLogBlocking("big", big);
            storage.commitBlocking();
            assertTrue(storage.purgeBlocking(32), "more to purge after one step");
            storage.commitBlocking();
        } finally {
            storage.closeBlocking();
        }

        reopen(); // the engine resumes the purge on its own
        append("big", rec("k", "new life"));
        List<StoredRecord> records = readAll("big");
        assertEquals(1, records.size());
        assertEquals(0, records.get(0).position());
        await(store.close());

        // The purge runs in steps behind other writes; each reopen resumes it. Bounded wait for it to finish.
        Set<Long> ids = Set.of();
        for (int attempt = 0; attempt < 100; attempt++) {
            MapDbBatchStorage after = MapDbBatchStorage.openBlocking(MapDbOptions.defaults(mapdb.dir()));
            try {
                ids = after.batchCollectionIdsBlocking();
            } finally {
                after.closeBlocking();
            }
            reopen();
            if (!ids.contains(bigId)) {
                break;
            }
            sleep(20);
            await(store.close());
        }
        assertFalse(ids.contains(bigId), "the detached log's collections are gone: " + ids);
        assertEquals("new life", new String(readAll("big").get(0).data()));
    }

    @Test
    void appendsInterleaveWithTheDeletionOfALargeLog() {
        for (int i = 0; i < 300; i++) {
            await(store.append("big", AppendBatch.of(List.of(NewRecord.of("k", new byte[512])), 1000 + i)));
        }
        await(store.deleteLog("big"));
        // The deletion is logical at once: the name is free and reads are empty while space is reclaimed.
        assertTrue(readAll("big").isEmpty());
        append("big", rec("k", "again"));
        append("other", rec("k", "x"));
        assertEquals(1, readAll("big").size());
        reopen();
        assertEquals(1, readAll("big").size());
        assertEquals(1, readAll("other").size());
    }

    @Test
    void logSegmentsWithoutLiveBatchesAreDeletedOnceCheckpointed() throws java.io.IOException {
        await(store.close());
        // a checkpoint after every commit, 64 KiB segments
        store = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(mapdb.dir()), v -> v,
                new LoggedBatchStorage.Policy(0, 0, 64L << 20, 64L << 10)));
        append("kept", rec("k", "the first batch"));
        for (int i = 0; i < 200; i++) {
            await(store.append("big", AppendBatch.of(List.of(NewRecord.of("k", new byte[1024])), 1000 + i)));
            await(store.append("trimmed", AppendBatch.of(List.of(NewRecord.of("k", new byte[1024])), 1000 + i)));
        }
        java.nio.file.Path logDir = mapdb.dir().resolve(SegmentLog.DIRECTORY);
        long before = segmentFiles(logDir);
        assertTrue(before > 6, before + " segments");
        await(store.deleteLog("big"));
        await(store.trim("trimmed", 200));
        append("tail", rec("k", "moves the checkpoint on"));
        // The checkpointer trails the acknowledgements (a MapDB commit per log entry here): a bounded wait.
        long after = segmentFiles(logDir);
        for (int attempt = 0; attempt < 1500 && after > 4; attempt++) {
            sleep(20);
            after = segmentFiles(logDir);
        }
        // left: the first segment (a live batch of "kept"), the current one, the one prepared after it
        assertTrue(after <= 4, "segments left: " + after + " of " + before);
        reopen();
        assertEquals("the first batch", new String(readAll("kept").get(0).data()));
        assertTrue(readAll("big").isEmpty());
        assertTrue(readAll("trimmed").isEmpty());
        assertFalse(readAll("tail").isEmpty());
    }

    private static long segmentFiles(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(SegmentLog.SUFFIX)).count();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static long single(Set<Long> ids) {
        assertEquals(1, ids.size(), "ids " + ids);
        return ids.iterator().next();
    }
}
