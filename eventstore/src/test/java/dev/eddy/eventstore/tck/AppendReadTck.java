package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: appends get contiguous positions in order; reads honour limits and return records intact. */
public abstract class AppendReadTck extends EventStoreTckBase {

    @Test
    void appendsGetContiguousPositionsInCallOrder() {
        AppendResult a = append("s/0", rec("k1", "a"), rec("k2", "b"));
        AppendResult b = append("s/0", rec("k1", "c"));
        AppendResult c = append("s/0", rec("k3", "d"), rec("k3", "e"), rec("k1", "f"));
        assertArrayEquals(new long[]{0, 1}, a.positions());
        assertArrayEquals(new long[]{2}, b.positions());
        assertArrayEquals(new long[]{3, 4, 5}, c.positions());
        assertFalse(a.duplicate());

        List<StoredRecord> all = readAll("s/0");
        assertContiguous(all, 0);
        assertEquals(List.of("a", "b", "c", "d", "e", "f"),
                all.stream().map(r -> new String(r.data())).toList());
        assertEquals(new LogState(0, 6, c.arrivalMillis()), await(store.state("s/0")));
    }

    @Test
    void recordFieldsRoundTrip() {
        NewRecord r = new NewRecord("order-1", bytes("{\"x\":1}"), "ev-1", "OrderPlaced", Map.of("a", "1", "b", "ü"));
        AppendResult res = await(store.append("log", AppendBatch.of(List.of(r, NewRecord.of("order-2", bytes("p"))), 1234)));
        List<StoredRecord> all = readAll("log");
        StoredRecord s = all.get(0);
        assertEquals("order-1", s.partitionKey());
        assertArrayEquals(r.data(), s.data());
        assertEquals("ev-1", s.eventId());
        assertEquals("OrderPlaced", s.eventType());
        assertEquals(Map.of("a", "1", "b", "ü"), s.metadata());
        assertEquals(1234, s.arrivalMillis());
        assertEquals(0, s.version());
        StoredRecord p = all.get(1);
        assertNull(p.eventId());
        assertNull(p.eventType());
        assertEquals(Map.of(), p.metadata());
        assertEquals(1234, res.arrivalMillis());
    }

    @Test
    void versionsCountPerKey() {
        AppendResult r = append("log", rec("a", "1"), rec("b", "1"), rec("a", "2"));
        assertArrayEquals(new long[]{0, 0, 1}, r.versions());
        AppendResult r2 = append("log", rec("a", "3"), rec("b", "2"));
        assertArrayEquals(new long[]{2, 1}, r2.versions());
        List<StoredRecord> all = readAll("log");
        assertEquals(List.of(0L, 0L, 1L, 2L, 1L), all.stream().map(StoredRecord::version).toList());
    }

    @Test
    void readHonoursMaxRecordsAndMaxBytes() {
        List<NewRecord> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(NewRecord.of("k", new byte[99])); // 100 bytes counted each
        }
        await(store.append("log", AppendBatch.of(batch, 1)));
        append("log", rec("k", "x"));

        ReadResult three = await(store.read("log", 2, 3, Long.MAX_VALUE));
        assertContiguous(three.records(), 2);
        assertEquals(3, three.records().size());
        assertEquals(5, three.nextPosition());

        ReadResult bytesLimited = await(store.read("log", 0, 100, 250));
        assertEquals(2, bytesLimited.records().size());
        assertEquals(2, bytesLimited.nextPosition());

        ReadResult atLeastOne = await(store.read("log", 4, 100, 1));
        assertEquals(1, atLeastOne.records().size());
        assertEquals(4, atLeastOne.records().get(0).position());

        ReadResult acrossBatches = await(store.read("log", 8, 100, Long.MAX_VALUE));
        assertContiguous(acrossBatches.records(), 8);
        assertEquals(3, acrossBatches.records().size());
        assertEquals(11, acrossBatches.nextPosition());
        assertEquals(11, acrossBatches.state().nextPosition());
    }

    @Test
    void readAtOrPastTheEndAndUnknownLogsAreEmpty() {
        append("log", rec("k", "a"));
        ReadResult end = await(store.read("log", 1, 10, Long.MAX_VALUE));
        assertTrue(end.records().isEmpty());
        assertEquals(1, end.nextPosition());
        ReadResult past = await(store.read("log", 50, 10, Long.MAX_VALUE));
        assertTrue(past.records().isEmpty());
        assertEquals(50, past.nextPosition());

        ReadResult unknown = await(store.read("nope", 0, 10, Long.MAX_VALUE));
        assertTrue(unknown.records().isEmpty());
        assertEquals(LogState.EMPTY, unknown.state());
        assertEquals(LogState.EMPTY, await(store.state("nope")));
        assertEquals(-1L, await(store.currentVersion("nope", "k")));
    }

    @Test
    void invalidReadLimitsAreRejected() {
        awaitFailure(IllegalArgumentException.class, store.read("log", 0, 0, 10));
        awaitFailure(IllegalArgumentException.class, store.readKey("log", "k", 0, 0));
    }

    @Test
    void arrivalTimestampsNeverGoBackwards() {
        AppendResult a = await(store.append("log", AppendBatch.of(List.of(rec("k", "a")), 5000)));
        AppendResult b = await(store.append("log", AppendBatch.of(List.of(rec("k", "b")), 4000)));
        AppendResult c = await(store.append("log", AppendBatch.of(List.of(rec("k", "c")), 6000)));
        assertEquals(5000, a.arrivalMillis());
        assertEquals(5000, b.arrivalMillis());
        assertEquals(6000, c.arrivalMillis());
        assertEquals(List.of(5000L, 5000L, 6000L), readAll("log").stream().map(StoredRecord::arrivalMillis).toList());
    }

    @Test
    void oneMebibyteRecordsRoundTrip() {
        byte[] big = new byte[1 << 20];
        Arrays.fill(big, (byte) 7);
        big[0] = 1;
        big[big.length - 1] = 2;
        await(store.append("log", AppendBatch.of(List.of(NewRecord.of("k", big), NewRecord.of("k", big)), 1)));
        append("log", NewRecord.of("k", big));
        ReadResult one = await(store.read("log", 0, 10, 1));
        assertEquals(1, one.records().size());
        assertArrayEquals(big, one.records().get(0).data());
        List<StoredRecord> all = readAll("log");
        assertEquals(3, all.size());
        all.forEach(r -> assertArrayEquals(big, r.data()));
    }

    @Test
    void emptyDataAndEmptyKeysRoundTrip() {
        append("log", NewRecord.of("k", new byte[0]), NewRecord.of("", new byte[0]));
        List<StoredRecord> all = readAll("log");
        assertEquals(2, all.size());
        assertEquals(0, all.get(0).data().length);
        assertEquals("", all.get(1).partitionKey());
    }

    @Test
    void tenThousandRecordBatch() {
        List<NewRecord> batch = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            batch.add(NewRecord.of("key-" + (i % 100), bytes("record-" + i)));
        }
        append("log", rec("first", "x"));
        AppendResult r = await(store.append("log", AppendBatch.of(batch, 1)));
        assertEquals(10_000, r.count());
        assertEquals(1, r.firstPosition());
        assertEquals(10_000, r.positions()[9_999]);
        assertEquals(99, r.versions()[9_999]);
        List<StoredRecord> all = readAll("log");
        assertEquals(10_001, all.size());
        assertContiguous(all, 0);
        assertEquals("record-9999", new String(all.get(10_000).data()));
        ReadResult middle = await(store.read("log", 5_000, 2, Long.MAX_VALUE));
        assertEquals("record-4999", new String(middle.records().get(0).data()));
    }

    @Test
    void arbitraryLogNames() {
        for (String log : List.of("a/b", "uid-123/0", "weird name #$%/ü", "")) {
            append(log, rec("k", log));
            assertEquals(log, new String(readAll(log).get(0).data()));
        }
    }
}
