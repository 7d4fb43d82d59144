package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.StoredRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: a key's history read by version, and its current version. */
public abstract class KeyHistoryTck extends EventStoreTckBase {

    @Test
    void readKeyFromVersionWithLimit() {
        for (int i = 0; i < 10; i++) {
            append("log", rec("other", "o" + i), rec("agg", "a" + i));
            append("log", rec("agg2", "b" + i));
        }
        List<StoredRecord> h = await(store.readKey("log", "agg", 3, 4));
        assertEquals(List.of(3L, 4L, 5L, 6L), h.stream().map(StoredRecord::version).toList());
        assertEquals(List.of("a3", "a4", "a5", "a6"), h.stream().map(r -> new String(r.data())).toList());
        assertEquals(List.of(10L, 13L, 16L, 19L), h.stream().map(StoredRecord::position).toList());
        h.forEach(r -> assertEquals("agg", r.partitionKey()));

        assertEquals(10, await(store.readKey("log", "agg", 0, 100)).size());
        assertEquals(1, await(store.readKey("log", "agg", 9, 100)).size());
        assertTrue(await(store.readKey("log", "agg", 10, 100)).isEmpty());
        assertTrue(await(store.readKey("log", "missing", 0, 100)).isEmpty());
        assertTrue(await(store.readKey("no-log", "agg", 0, 100)).isEmpty());
        assertEquals(10, await(store.readKey("log", "agg", -5, 100)).size());
    }

    @Test
    void readKeyWithinOneBigBatch() {
        var batch = new java.util.ArrayList<dev.eddy.eventstore.spi.NewRecord>();
        for (int i = 0; i < 500; i++) {
            batch.add(rec(i % 2 == 0 ? "even" : "odd", Integer.toString(i)));
        }
        await(store.append("log", dev.eddy.eventstore.spi.AppendBatch.of(batch, 1)));
        List<StoredRecord> odd = await(store.readKey("log", "odd", 100, 3));
        assertEquals(List.of("201", "203", "205"), odd.stream().map(r -> new String(r.data())).toList());
    }

    @Test
    void currentVersionFollowsAppends() {
        assertEquals(-1L, await(store.currentVersion("log", "agg")));
        append("log", rec("agg", "1"));
        assertEquals(0L, await(store.currentVersion("log", "agg")));
        append("log", rec("agg", "2"), rec("x", "2"), rec("agg", "3"));
        assertEquals(2L, await(store.currentVersion("log", "agg")));
        assertEquals(0L, await(store.currentVersion("log", "x")));
        assertEquals(-1L, await(store.currentVersion("log", "y")));
    }
}
