package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared set-up of the conformance suite: a Vert.x instance, the store from the backend's fixture, and
 * helpers that wait for futures on the test thread (never on an event loop). Not thread-safe.
 */
public abstract class EventStoreTckBase {

    protected Vertx vertx;
    protected EventStoreFixture fixture;
    protected EventStore store;

    /** The backend under test; called once per test. */
    protected abstract EventStoreFixture fixture();

    @BeforeEach
    void openStore() {
        vertx = Vertx.vertx();
        fixture = fixture();
        store = await(fixture.open(vertx));
    }

    @AfterEach
    void closeStore() throws Exception {
        try {
            if (store != null) {
                store.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException ignored) {
            // already closed by the test
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            fixture.cleanup();
        }
    }

    /** Closes the store and opens it again on the same data; skips the test where the backend cannot. */
    protected void reopen() {
        Assumptions.assumeTrue(fixture.supportsReopen(), "the backend does not keep data across a reopen");
        await(store.close());
        store = await(fixture.open(vertx));
    }

    /** Waits on the test thread for the future's value, rethrowing its failure as is. */
    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Asserts that the future fails with that type, and returns the failure. */
    public static <X extends Throwable> X awaitFailure(Class<X> type, Future<?> future) {
        return assertThrows(type, () -> await(future));
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static NewRecord rec(String key, String data) {
        return NewRecord.of(key, bytes(data));
    }

    protected static NewRecord event(String key, String data, String eventId) {
        return new NewRecord(key, bytes(data), eventId, "type-" + key, Map.of("h", data));
    }

    protected AppendResult append(String log, NewRecord... records) {
        return await(store.append(log, AppendBatch.of(List.of(records), System.currentTimeMillis())));
    }

    protected AppendResult appendExpecting(String log, String key, ExpectedVersion expected, NewRecord... records) {
        return await(store.append(log, new AppendBatch(List.of(records), Map.of(key, expected), System.currentTimeMillis())));
    }

    /** Reads the whole log from position 0 (in pages). */
    protected List<StoredRecord> readAll(String log) {
        List<StoredRecord> out = new ArrayList<>();
        long from = 0;
        while (true) {
            var r = await(store.read(log, from, 1000, Long.MAX_VALUE));
            if (r.records().isEmpty()) {
                return out;
            }
            out.addAll(r.records());
            from = r.nextPosition();
        }
    }

    protected static void assertSameRecords(List<StoredRecord> expected, List<StoredRecord> actual) {
        assertEquals(expected.size(), actual.size(), "record count");
        for (int i = 0; i < expected.size(); i++) {
            StoredRecord e = expected.get(i);
            StoredRecord a = actual.get(i);
            assertEquals(e.position(), a.position());
            assertEquals(e.partitionKey(), a.partitionKey());
            assertArrayEquals(e.data(), a.data(), "data at " + e.position());
            assertEquals(e.arrivalMillis(), a.arrivalMillis());
            assertEquals(e.version(), a.version());
            assertEquals(e.eventId(), a.eventId());
            assertEquals(e.eventType(), a.eventType());
            assertEquals(e.metadata(), a.metadata());
        }
    }

    protected static void assertContiguous(List<StoredRecord> records, long first) {
        for (int i = 0; i < records.size(); i++) {
            assertEquals(first + i, records.get(i).position(), "position of record " + i);
        }
        assertTrue(records.isEmpty() || records.get(0).position() == first);
    }
}
