package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MapDB-specific recovery: many logs across reopens, the WAL without a clean close, the directory lock. */
class MapDbRecoveryTest extends EventStoreTckBase {

    @Override
    protected MapDbFixture fixture() {
        return new MapDbFixture();
    }

    private Map<String, List<StoredRecord>> fillManyLogs(int logs) {
        List<Future<AppendResult>> pending = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (int l = 0; l < logs; l++) {
                List<NewRecord> batch = new ArrayList<>();
                for (int r = 0; r < 1 + (l % 7); r++) {
                    batch.add(new NewRecord("agg-" + (r % 3), bytes("log " + l + " round " + round + " #" + r),
                            "id-" + round + "-" + r, "T", Map.of()));
                }
                pending.add(store.append("stream-" + (l % 10) + "/" + l, AppendBatch.of(batch, 1000 + round)));
            }
        }
        pending.forEach(EventStoreTckBase::await);
        Map<String, List<StoredRecord>> contents = new HashMap<>();
        for (int l = 0; l < logs; l++) {
            String log = "stream-" + (l % 10) + "/" + l;
            contents.put(log, readAll(log));
        }
        return contents;
    }

    @Test
    void manyLogsSurviveRepeatedReopens() {
        Map<String, List<StoredRecord>> contents = fillManyLogs(300);
        await(store.deleteLog("stream-0/0"));
        contents.remove("stream-0/0");
        await(store.trim("stream-1/1", 3));
        contents.put("stream-1/1", readAll("stream-1/1"));
        for (int i = 0; i < 3; i++) {
            reopen();
            for (var e : contents.entrySet()) {
                assertSameRecords(e.getValue(), readAll(e.getKey()));
            }
            assertEquals(LogState.EMPTY, await(store.state("stream-0/0")));
        }
        AppendResult r = append("stream-0/0", rec("agg-0", "new"));
        assertEquals(0, r.firstPosition());
    }

    @Test
    void acknowledgedAppendsAreInTheWriteAheadLogWithoutAClose() throws IOException {
        // No checkpoint runs while the files are copied below (a copy taken during one would be torn, which a
        // crash is not), so the recovery must replay everything from the log.
        await(store.close());
        store = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(fixtureDir().dir()), v -> v,
                LoggedBatchStorage.Policy.ONLY_AT_CLOSE));
        Map<String, List<StoredRecord>> contents = fillManyLogs(50);
        await(store.put("streams", "s", bytes("meta")));
        // Every append above is acknowledged and nothing is in flight: a copy of the files now is what a
        // crash at this instant would leave (the store was never closed, so recovery must replay the WAL).
        MapDbFixture copy = new MapDbFixture();
        MapDbFixture.copyTree(fixtureDir().dir(), copy.dir());
        EventStore recovered = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(copy.dir())));
        try {
            EventStore original = store;
            store = recovered;
            for (var e : contents.entrySet()) {
                assertSameRecords(e.getValue(), readAll(e.getKey()));
            }
            assertEquals("meta", new String(await(store.get("streams", "s"))));
            store = original;
        } finally {
            await(recovered.close());
            copy.cleanup();
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsClearly() {
        append("log", rec("k", "v"));
        StorageUnavailableException e = awaitFailure(StorageUnavailableException.class,
                MapDbEventStore.open(vertx, MapDbOptions.defaults(fixtureDir().dir())));
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
        assertEquals(1, readAll("log").size());
    }

    private MapDbFixture fixtureDir() {
        return (MapDbFixture) fixture;
    }
}
