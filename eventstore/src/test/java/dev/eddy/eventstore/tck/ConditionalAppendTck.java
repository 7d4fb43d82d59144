package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: expected versions, idempotent retries by event id, and all-or-nothing batches. */
public abstract class ConditionalAppendTck extends EventStoreTckBase {

    @Test
    void expectedNoneThenExactThenAny() {
        appendExpecting("log", "agg", ExpectedVersion.none(), rec("agg", "1"));
        appendExpecting("log", "agg", ExpectedVersion.exactly(0), rec("agg", "2"));
        AppendResult r = appendExpecting("log", "agg", ExpectedVersion.any(), rec("agg", "3"));
        assertArrayEquals(new long[]{2}, r.versions());
        assertEquals(2L, await(store.currentVersion("log", "agg")));
    }

    @Test
    void wrongExpectedVersionCarriesActualAndAppendsNothing() {
        append("log", rec("agg", "1"), rec("other", "x"));
        var none = awaitFailure(WrongExpectedVersionException.class, store.append("log",
                new AppendBatch(List.of(rec("agg", "2")), Map.of("agg", ExpectedVersion.none()), 1)));
        assertEquals(0, none.actual());
        assertEquals("agg", none.key());
        assertEquals("log", none.log());
        assertEquals(ExpectedVersion.none(), none.expected());
        assertTrue(none.retryable());

        var exact = awaitFailure(WrongExpectedVersionException.class, store.append("log",
                new AppendBatch(List.of(rec("agg", "2")), Map.of("agg", ExpectedVersion.exactly(5)), 1)));
        assertEquals(0, exact.actual());

        var fresh = awaitFailure(WrongExpectedVersionException.class, store.append("log",
                new AppendBatch(List.of(rec("new", "2")), Map.of("new", ExpectedVersion.exactly(0)), 1)));
        assertEquals(ExpectedVersion.NO_VERSION, fresh.actual());

        assertEquals(2, await(store.state("log")).nextPosition());
        assertEquals(2, readAll("log").size());
        assertEquals(0L, await(store.currentVersion("log", "agg")));
    }

    @Test
    void failedConditionalBatchLeavesNothing() {
        append("log", rec("a", "1"));
        List<NewRecord> batch = List.of(rec("b", "1"), rec("c", "1"), rec("a", "2"));
        awaitFailure(WrongExpectedVersionException.class, store.append("log",
                new AppendBatch(batch, Map.of("b", ExpectedVersion.none(), "a", ExpectedVersion.exactly(3)), 1)));
        assertEquals(1, readAll("log").size());
        assertEquals(-1L, await(store.currentVersion("log", "b")));
        assertEquals(-1L, await(store.currentVersion("log", "c")));
        AppendResult next = append("log", rec("b", "1"));
        assertEquals(1, next.firstPosition());
        assertEquals(0, next.versions()[0]);
    }

    @Test
    void concurrentWritersOnOneVersionExactlyOneWins() {
        append("log", rec("agg", "0"));
        List<Future<AppendResult>> attempts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            attempts.add(store.append("log", new AppendBatch(List.of(rec("agg", "try-" + i)),
                    Map.of("agg", ExpectedVersion.exactly(0)), 1)));
        }
        int won = 0;
        for (Future<AppendResult> f : attempts) {
            try {
                await(f);
                won++;
            } catch (WrongExpectedVersionException e) {
                assertEquals(1, e.actual());
            }
        }
        assertEquals(1, won);
        assertEquals(1L, await(store.currentVersion("log", "agg")));
        assertEquals(2, readAll("log").size());
    }

    @Test
    void retryWithSameEventIdsReturnsTheOriginalResult() {
        append("log", rec("x", "before"));
        NewRecord e1 = event("agg", "1", "id-1");
        NewRecord e2 = event("agg", "2", "id-2");
        AppendResult first = await(store.append("log",
                new AppendBatch(List.of(e1, e2), Map.of("agg", ExpectedVersion.none()), 100)));
        append("log", rec("x", "after"));
        // the retry would now fail its expectation: idempotency is checked first
        AppendResult retry = await(store.append("log",
                new AppendBatch(List.of(e1, e2), Map.of("agg", ExpectedVersion.none()), 999)));
        assertTrue(retry.duplicate());
        assertFalse(first.duplicate());
        assertArrayEquals(first.positions(), retry.positions());
        assertArrayEquals(first.versions(), retry.versions());
        assertEquals(first.arrivalMillis(), retry.arrivalMillis());
        assertEquals(4, await(store.state("log")).nextPosition());
        assertEquals(4, readAll("log").size());
    }

    @Test
    void partlyStoredEventIdsAreRejected() {
        append("log", event("agg", "1", "id-1"));
        var e = awaitFailure(DuplicateEventIdException.class, store.append("log",
                AppendBatch.of(List.of(event("agg", "2", "id-2"), event("agg", "1", "id-1")), 1)));
        assertEquals("id-1", e.eventId());
        assertEquals("log", e.log());
        var noId = awaitFailure(DuplicateEventIdException.class, store.append("log",
                AppendBatch.of(List.of(event("agg", "1", "id-1"), rec("agg", "plain")), 1)));
        assertEquals("id-1", noId.eventId());
        assertEquals(1, readAll("log").size());
        assertEquals(0L, await(store.currentVersion("log", "agg")));
    }

    @Test
    void sameEventIdTwiceInOneBatchIsRejected() {
        Throwable t = awaitFailure(IllegalArgumentException.class, store.append("log",
                AppendBatch.of(List.of(event("a", "1", "dup"), event("a", "2", "dup")), 1)));
        assertInstanceOf(IllegalArgumentException.class, t);
        assertEquals(0, await(store.state("log")).nextPosition());
    }

    @Test
    void eventIdsAreScopedToTheirLog() {
        append("log-a", event("agg", "1", "id-1"));
        AppendResult other = append("log-b", event("agg", "1", "id-1"));
        assertFalse(other.duplicate());
    }

    @Test
    void retryWithinTheSameCommitGroupIsStillADuplicate() {
        NewRecord e = event("agg", "1", "same");
        Future<AppendResult> a = store.append("log", AppendBatch.of(List.of(e), 1));
        Future<AppendResult> b = store.append("log", AppendBatch.of(List.of(e), 1));
        AppendResult ra = await(a);
        AppendResult rb = await(b);
        assertFalse(ra.duplicate());
        assertTrue(rb.duplicate());
        assertArrayEquals(ra.positions(), rb.positions());
        assertEquals(1, readAll("log").size());
    }

    @Test
    void aLogContinuesTheVersionsOfTheLogsItWasReshardedFrom() {
        append("parent", rec("a", "1"), rec("a", "2"), rec("a", "3"), rec("b", "1"));
        append("other-parent", rec("c", "1"));
        store.declareLineage("child", List.of("parent", "other-parent", "never-written"));

        assertArrayEquals(new long[]{3, 4}, append("child", rec("a", "4"), rec("a", "5")).versions());
        assertArrayEquals(new long[]{1}, appendExpecting("child", "b", ExpectedVersion.exactly(0), rec("b", "2"))
                .versions());
        var none = awaitFailure(WrongExpectedVersionException.class, store.append("child",
                new AppendBatch(List.of(rec("c", "2")), Map.of("c", ExpectedVersion.none()), 1)));
        assertEquals(0, none.actual());
        var stale = awaitFailure(WrongExpectedVersionException.class, store.append("child",
                new AppendBatch(List.of(rec("a", "6")), Map.of("a", ExpectedVersion.exactly(2)), 1)));
        assertEquals(4, stale.actual());
        assertArrayEquals(new long[]{0}, append("child", rec("fresh", "1")).versions());
        assertEquals(4, readAll("child").size(), "the refused appends left nothing");
        // Reads stay per log: the child holds its own records, at the continued versions.
        assertEquals(List.of(3L, 4L), await(store.readKey("child", "a", 0, 10)).stream()
                .map(r -> r.version()).toList());
        assertEquals(List.of(4L), await(store.readKey("child", "a", 4, 10)).stream().map(r -> r.version()).toList());
        assertEquals(List.of(), await(store.readKey("child", "a", 5, 10)));

        // A grandchild names every generation; a key only the oldest one knows still continues from there.
        append("grandparent", rec("g", "1"));
        store.declareLineage("middle", List.of("grandparent"));
        store.declareLineage("youngest", List.of("middle", "grandparent"));
        assertArrayEquals(new long[]{1}, append("youngest", rec("g", "2")).versions());

        // Withdrawn, a new log starts every key again.
        store.declareLineage("child2", List.of("parent"));
        store.declareLineage("child2", List.of());
        assertArrayEquals(new long[]{0}, append("child2", rec("a", "x")).versions());
    }

    @Test
    void aRetryOfAnAppendStoredInAnAncestorIsAnsweredFromThere() {
        AppendResult original = append("parent", rec("x", "0"), event("k", "1", "e1"), event("k", "2", "e2"));
        store.declareLineage("child", List.of("parent"));

        AppendResult retry = await(store.append("child", AppendBatch.of(
                List.of(event("k", "1", "e1"), event("k", "2", "e2")), 5)));
        assertTrue(retry.duplicate());
        assertEquals("parent", retry.log());
        assertArrayEquals(new long[]{1, 2}, retry.positions());
        assertArrayEquals(new long[]{0, 1}, retry.versions());
        assertEquals(original.arrivalMillis(), retry.arrivalMillis());
        assertEquals(0, await(store.state("child")).nextPosition());

        // Some ids stored (in the ancestor), some new: refused, nothing appended.
        awaitFailure(DuplicateEventIdException.class, store.append("child", AppendBatch.of(
                List.of(event("k", "2", "e2"), event("k", "3", "e3")), 5)));
        AppendResult fresh = await(store.append("child", AppendBatch.of(List.of(event("k", "3", "e3")), 5)));
        assertFalse(fresh.duplicate());
        assertEquals(null, fresh.log());
        assertArrayEquals(new long[]{2}, fresh.versions());
        // All stored, but by two different appends in two logs: not one append's retry.
        awaitFailure(DuplicateEventIdException.class, store.append("child", AppendBatch.of(
                List.of(event("k", "1", "e1"), event("k", "3", "e3")), 5)));
        AppendResult ownRetry = await(store.append("child", AppendBatch.of(List.of(event("k", "3", "e3")), 5)));
        assertTrue(ownRetry.duplicate());
        assertEquals(null, ownRetry.log());
        assertEquals(1, readAll("child").size());
    }
}
