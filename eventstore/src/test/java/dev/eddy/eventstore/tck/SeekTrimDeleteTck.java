package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: seeking by arrival time, trimming by retention, deleting logs. */
public abstract class SeekTrimDeleteTck extends EventStoreTckBase {

    private void appendAt(String log, long arrival, String... keys) {
        await(store.append(log, AppendBatch.of(java.util.Arrays.stream(keys).map(k -> rec(k, k)).toList(), arrival)));
    }

    @Test
    void seekByTimestamp() {
        assertEquals(0L, await(store.seek("log", 1000)));
        appendAt("log", 1000, "a", "b");
        appendAt("log", 2000, "c", "d");
        appendAt("log", 3000, "e", "f");
        assertEquals(0L, await(store.seek("log", 500)));
        assertEquals(0L, await(store.seek("log", 1000)));
        assertEquals(2L, await(store.seek("log", 1001)));
        assertEquals(2L, await(store.seek("log", 2000)));
        assertEquals(4L, await(store.seek("log", 2500)));
        assertEquals(4L, await(store.seek("log", 3000)));
        assertEquals(6L, await(store.seek("log", 3001)));
        assertEquals(6L, await(store.seek("log", Long.MAX_VALUE)));
    }

    @Test
    void trimMovesTheHorizonByWholeBatches() {
        for (int i = 0; i < 5; i++) {
            appendAt("log", 1000 + i, "agg", "k" + i); // batches [0,2) [2,4) [4,6) [6,8) [8,10)
        }
        assertEquals(25L, await(store.storedBytes("log")), "5 batches of 'agg' + 'kN'");
        assertEquals(0L, await(store.storedBytes("never")));
        assertEquals(0L, await(store.trim("log", 1)));  // batch [0,2) still holds position 1
        assertEquals(4L, await(store.trim("log", 5)));
        assertEquals(new LogState(4, 10, 1004), await(store.state("log")));
        assertEquals(15L, await(store.storedBytes("log")), "trimmed batches give their bytes back");

        ReadResult r = await(store.read("log", 0, 100, Long.MAX_VALUE));
        assertEquals(4, r.records().get(0).position());
        assertEquals(6, r.records().size());

        List<StoredRecord> history = await(store.readKey("log", "agg", 0, 100));
        assertEquals(List.of(2L, 3L, 4L), history.stream().map(StoredRecord::version).toList());
        assertEquals(4L, await(store.currentVersion("log", "agg")));
        assertEquals(-1L, await(store.currentVersion("log", "never")));
        assertEquals(0L, await(store.currentVersion("log", "k0")));
        assertEquals(4L, await(store.seek("log", 0)));

        AppendResult next = append("log", rec("agg", "x"), rec("k0", "y"));
        assertArrayEquals(new long[]{10, 11}, next.positions());
        assertArrayEquals(new long[]{5, 1}, next.versions());
        assertEquals(4L, await(store.trim("log", 2)), "trimming below the horizon changes nothing");
    }

    @Test
    void trimEverythingKeepsPositionsAndVersionsGoing() {
        appendAt("log", 1000, "agg", "agg");
        assertEquals(2L, await(store.trim("log", Long.MAX_VALUE)));
        LogState s = await(store.state("log"));
        assertTrue(s.isEmpty());
        assertEquals(2, s.firstPosition());
        assertEquals(2, s.nextPosition());
        assertTrue(await(store.read("log", 0, 10, Long.MAX_VALUE)).records().isEmpty());
        assertTrue(await(store.readKey("log", "agg", 0, 10)).isEmpty());
        assertEquals(2L, await(store.seek("log", 0)));
        AppendResult r = append("log", rec("agg", "z"));
        assertEquals(2, r.firstPosition());
        assertEquals(2, r.versions()[0]);
        assertEquals(0L, await(store.trim("unknown", 10)));
    }

    @Test
    void trimForgetsEventIdsOfTrimmedRecords() {
        append("log", event("agg", "1", "id-1"));
        append("log", event("agg", "2", "id-2"));
        await(store.trim("log", 1));
        AppendResult again = append("log", event("agg", "1", "id-1"));
        assertFalse(again.duplicate());
        assertTrue(append("log", event("agg", "2", "id-2")).duplicate());
    }

    @Test
    void deleteLogRemovesEverything() {
        append("log", event("agg", "1", "id-1"), rec("agg", "2"));
        append("keep", rec("k", "v"));
        await(store.deleteLog("log"));
        assertEquals(LogState.EMPTY, await(store.state("log")));
        assertTrue(await(store.read("log", 0, 10, Long.MAX_VALUE)).records().isEmpty());
        assertEquals(-1L, await(store.currentVersion("log", "agg")));
        assertTrue(await(store.readKey("log", "agg", 0, 10)).isEmpty());

        AppendResult fresh = append("log", event("agg", "1", "id-1"));
        assertFalse(fresh.duplicate());
        assertEquals(0, fresh.firstPosition());
        assertEquals(0, fresh.versions()[0]);
        assertEquals(1, readAll("keep").size());
        await(store.deleteLog("never-existed"));
    }
}
