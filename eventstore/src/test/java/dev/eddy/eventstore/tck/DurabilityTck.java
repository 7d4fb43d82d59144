package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.StoredRecord;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: what a reopen keeps, and what a closed store answers. */
public abstract class DurabilityTck extends EventStoreTckBase {

    @Test
    void reopenKeepsEverythingByteIdentical() {
        Random random = new Random(7);
        List<String> logs = List.of("s/0", "s/1", "other/0");
        for (int i = 0; i < 30; i++) {
            String log = logs.get(i % logs.size());
            List<NewRecord> batch = new ArrayList<>();
            for (int r = 0; r < 1 + random.nextInt(20); r++) {
                byte[] data = new byte[random.nextInt(3000)];
                random.nextBytes(data);
                batch.add(r % 3 == 0
                        ? new NewRecord("agg-" + random.nextInt(5), data, "id-" + i + "-" + r, "T" + r, Map.of("m", "v" + r))
                        : NewRecord.of("agg-" + random.nextInt(5), data));
            }
            await(store.append(log, AppendBatch.of(batch, 1_000_000 + i * 10L)));
        }
        await(store.put("streams", "s", bytes("{\"name\":\"s\"}")));
        await(store.put("shards", "s/0", bytes("{}")));
        await(store.saveCheckpoint("app/s/0", 17));
        await(store.put("shards", "s/1", bytes("{}")));
        await(store.remove("shards", "s/1"));

        Map<String, List<StoredRecord>> before = new HashMap<>();
        Map<String, LogState> states = new HashMap<>();
        Map<String, Long> versions = new HashMap<>();
        for (String log : logs) {
            before.put(log, readAll(log));
            states.put(log, await(store.state(log)));
            for (int k = 0; k < 5; k++) {
                versions.put(log + "|" + k, await(store.currentVersion(log, "agg-" + k)));
            }
        }

        reopen();

        for (String log : logs) {
            assertSameRecords(before.get(log), readAll(log));
            assertEquals(states.get(log), await(store.state(log)));
            for (int k = 0; k < 5; k++) {
                assertEquals(versions.get(log + "|" + k), await(store.currentVersion(log, "agg-" + k)));
                assertSameRecords(before.get(log).stream().filter(r -> r.partitionKey().equals("agg-0")).toList(),
                        await(store.readKey(log, "agg-0", 0, 10_000)));
            }
        }
        assertArrayEquals(bytes("{\"name\":\"s\"}"), await(store.get("streams", "s")));
        assertEquals(List.of("s/0"), List.copyOf(await(store.list("shards")).keySet()));
        assertEquals(17L, await(store.loadCheckpoint("app/s/0")));

        // positions, versions, arrival and idempotency carry on where they were
        StoredRecord withId = before.get("s/0").get(0);
        AppendResult retry = await(store.append("s/0", AppendBatch.of(List.of(
                new NewRecord(withId.partitionKey(), withId.data(), withId.eventId(), withId.eventType(), withId.metadata())), 1)));
        assertTrue(retry.duplicate());
        assertEquals(0, retry.firstPosition());
        long current = await(store.currentVersion("s/0", "agg-1"));
        AppendResult next = await(store.append("s/0", new AppendBatch(List.of(rec("agg-1", "n")),
                Map.of("agg-1", ExpectedVersion.exactly(current)), 1)));
        assertEquals(states.get("s/0").nextPosition(), next.firstPosition());
        assertEquals(current + 1, next.versions()[0]);
        assertEquals(states.get("s/0").lastArrivalMillis(), next.arrivalMillis());
    }

    @Test
    void reopenAfterTrimAndDelete() {
        await(store.append("t", AppendBatch.of(List.of(rec("agg", "1"), rec("gone", "1")), 10)));
        await(store.append("t", AppendBatch.of(List.of(rec("agg", "2")), 20)));
        await(store.append("all", AppendBatch.of(List.of(rec("agg", "1"), rec("agg", "2")), 30)));
        await(store.append("del", AppendBatch.of(List.of(event("agg", "1", "e1")), 40)));
        assertEquals(2L, await(store.trim("t", 2)));
        assertEquals(2L, await(store.trim("all", 100)));
        await(store.deleteLog("del"));

        reopen();

        assertEquals(new LogState(2, 3, 20), await(store.state("t")));
        assertEquals(1L, await(store.storedBytes("t")), "the retained batch's data bytes survive a reopen");
        assertEquals(0L, await(store.storedBytes("all")));
        assertEquals(0L, await(store.storedBytes("del")));
        assertEquals(List.of(2L), readAll("t").stream().map(StoredRecord::position).toList());
        assertEquals(0L, await(store.currentVersion("t", "gone")));
        assertEquals(1L, await(store.currentVersion("t", "agg")));
        assertEquals(new LogState(2, 2, 30), await(store.state("all")));
        assertEquals(1L, await(store.currentVersion("all", "agg")));
        AppendResult r = await(store.append("all", AppendBatch.of(List.of(rec("agg", "3")), 1)));
        assertEquals(2, r.firstPosition());
        assertEquals(2, r.versions()[0]);
        assertEquals(30, r.arrivalMillis());
        assertEquals(LogState.EMPTY, await(store.state("del")));
        AppendResult fresh = await(store.append("del", AppendBatch.of(List.of(event("agg", "1", "e1")), 1)));
        assertEquals(0, fresh.firstPosition());
        assertTrue(!fresh.duplicate());
    }

    @Test
    void closeCommitsQueuedAppends() {
        List<Future<AppendResult>> pending = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            pending.add(store.append("log", AppendBatch.of(List.of(rec("k", "r" + i)), 1)));
        }
        await(store.close());
        pending.forEach(EventStoreTckBase::await);
        store = await(fixture.open(vertx));
        if (fixture.supportsReopen()) {
            assertEquals(200, readAll("log").size());
        }
    }

    @Test
    void callsAfterCloseFail() {
        append("log", rec("k", "v"));
        await(store.close());
        awaitFailure(StorageUnavailableException.class, store.append("log", AppendBatch.of(List.of(rec("k", "v")), 1)));
        awaitFailure(StorageUnavailableException.class, store.read("log", 0, 10, 100));
        awaitFailure(StorageUnavailableException.class, store.readKey("log", "k", 0, 10));
        awaitFailure(StorageUnavailableException.class, store.state("log"));
        awaitFailure(StorageUnavailableException.class, store.seek("log", 0));
        awaitFailure(StorageUnavailableException.class, store.currentVersion("log", "k"));
        awaitFailure(StorageUnavailableException.class, store.trim("log", 1));
        awaitFailure(StorageUnavailableException.class, store.deleteLog("log"));
        awaitFailure(StorageUnavailableException.class, store.put("ns", "k", new byte[1]));
        awaitFailure(StorageUnavailableException.class, store.get("ns", "k"));
        awaitFailure(StorageUnavailableException.class, store.list("ns"));
        awaitFailure(StorageUnavailableException.class, store.remove("ns", "k"));
        assertTrue(awaitFailure(StorageUnavailableException.class, store.loadCheckpoint("c")).retryable());
        await(store.close()); // closing twice is harmless
    }
}
