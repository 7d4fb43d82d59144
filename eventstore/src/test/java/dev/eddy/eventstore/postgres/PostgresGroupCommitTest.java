package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import dev.eddy.eventstore.memory.InMemoryEventStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;
import static dev.eddy.eventstore.tck.EventStoreTckBase.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit on real PostgreSQL: appends queued behind a log's running transaction share its next one, and
 * still decide exactly as if each ran alone in submission order. The first transaction is held open (its
 * {@code beforeCommit} step waits) until the test has submitted everything, so the groups are known: the first
 * append alone, then groups of {@link PostgresEventStore#MAX_GROUP_APPENDS} in submission order.
 */
class PostgresGroupCommitTest {

    private static final String LOG = "log";

    private Vertx vertx;
    private String url;
    private EventStore store;
    private final Promise<Void> releaseFirst = Promise.promise();
    private final AtomicInteger transactions = new AtomicInteger();
    private final List<Integer> commits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        url = PostgresTestServer.createDatabase();
    }

    @AfterEach
    void tearDown() {
        releaseFirst.tryComplete();
        try {
            if (store != null) {
                await(store.close());
            }
        } finally {
            await(vertx.close());
            PostgresTestServer.dropDatabase(url);
        }
    }

    /** Opens the store; the first append transaction waits for {@link #releaseFirst}, the n-th runs {@code step}. */
    private void open(Function<Integer, Function<SqlConnection, Future<Void>>> stepOfTransaction) {
        store = await(PostgresEventStore.open(vertx, PostgresOptions.of(url), conn -> {
            int n = transactions.incrementAndGet();
            if (n == 1) {
                return releaseFirst.future();
            }
            Function<SqlConnection, Future<Void>> step = stepOfTransaction.apply(n);
            return step == null ? Future.succeededFuture() : step.apply(conn);
        }));
        store.onCommit(commits::add);
    }

    @Test
    void groupedAppendsDecideExactlyAsTheSameAppendsRunOneAfterAnother() {
        open(n -> null);
        int count = 700;
        int groupSize = PostgresEventStore.MAX_GROUP_APPENDS;
        // The reference: the same appends, one at a time, on the in-memory store (its own implementation).
        EventStore serial = InMemoryEventStore.create(vertx);
        Workload workload = new Workload(new Random(42), serial);
        List<AppendBatch> batches = new ArrayList<>();
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            AppendBatch batch = workload.next(i);
            batches.add(batch);
            expected.add(outcome(serial.append(LOG, batch)));
        }

        List<Future<AppendResult>> grouped = new ArrayList<>();
        for (AppendBatch batch : batches) {
            grouped.add(store.append(LOG, batch));
        }
        releaseFirst.complete();

        Map<String, Integer> kinds = new HashMap<>();
        for (int i = 0; i < count; i++) {
            Object want = expected.get(i);
            Object got = outcome(grouped.get(i));
            assertSameOutcome(want, got, "append " + i + " (" + batches.get(i) + ")");
            kinds.merge(kind(want), 1, Integer::sum);
        }
        // The workload exercised what grouping could get wrong.
        assertTrue(kinds.getOrDefault("appended", 0) > 100, "appended: " + kinds);
        assertTrue(kinds.getOrDefault("WrongExpectedVersionException", 0) > 20, "conflicts: " + kinds);
        assertTrue(kinds.getOrDefault("DuplicateEventIdException", 0) > 5, "partial retries: " + kinds);
        int[] groupOf = new int[count];
        for (int i = 1; i < count; i++) {
            groupOf[i] = 1 + (i - 1) / groupSize;
        }
        int retriesInGroup = 0;
        int retriesAcross = 0;
        int dependentInGroup = 0;
        Map<String, Integer> writerOf = new HashMap<>(); // "key/version" -> the append that wrote it
        for (int i = 0; i < count; i++) {
            if (!(expected.get(i) instanceof AppendResult r)) {
                continue;
            }
            List<NewRecord> records = batches.get(i).records();
            if (r.duplicate()) {
                int original = writerOf.get(records.get(0).partitionKey() + "/" + r.versions()[0]);
                if (groupOf[original] == groupOf[i]) {
                    retriesInGroup++;
                } else {
                    retriesAcross++;
                }
                continue;
            }
            for (var e : batches.get(i).expectations().entrySet()) {
                Integer writer = writerOf.get(e.getKey() + "/" + e.getValue());
                if (!e.getValue().isAny() && writer != null && groupOf[writer] == groupOf[i]) {
                    dependentInGroup++;
                }
            }
            for (int k = 0; k < records.size(); k++) {
                writerOf.put(records.get(k).partitionKey() + "/" + r.versions()[k], i);
            }
        }
        assertTrue(retriesInGroup > 3, "retries of an append earlier in the same group: " + retriesInGroup);
        assertTrue(retriesAcross > 3, "retries of an append of an earlier group: " + retriesAcross);
        assertTrue(dependentInGroup > 3, "expected versions written earlier in the same group: " + dependentInGroup);

        // Commits: one per group that appended anything, each telling the group's size.
        List<Integer> expectedCommits = new ArrayList<>();
        for (int from = 0; from < count; ) {
            int to = from == 0 ? 1 : Math.min(count, from + groupSize);
            boolean writes = false;
            for (int i = from; i < to; i++) {
                writes |= expected.get(i) instanceof AppendResult r && !r.duplicate();
            }
            if (writes) {
                expectedCommits.add(to - from);
            }
            from = to;
        }
        assertEquals(expectedCommits, commits);

        // And the log holds the same thing.
        assertEquals(await(serial.state(LOG)), await(store.state(LOG)));
        assertEquals(describe(readAll(serial)), describe(readAll(store)));
        for (String key : Workload.KEYS) {
            assertEquals(await(serial.currentVersion(LOG, key)), await(store.currentVersion(LOG, key)), key);
            assertEquals(describe(await(serial.readKey(LOG, key, 0, 10_000))),
                    describe(await(store.readKey(LOG, key, 0, 10_000))), key);
        }
        assertEquals(await(serial.storedBytes(LOG)), await(store.storedBytes(LOG)));
        assertEquals(await(serial.seek(LOG, 1_300)), await(store.seek(LOG, 1_300)));
        await(serial.close());
    }

    @Test
    void aDatabaseFailureInAGroupFailsAllItsAppendsAndLeavesNothingOfIt() {
        // The second transaction (the group) loses its connection after its inserts, before COMMIT.
        open(n -> n == 2 ? conn -> conn.query("SELECT pg_terminate_backend(pg_backend_pid())").execute().mapEmpty() : null);
        Future<AppendResult> first = store.append(LOG, new AppendBatch(List.of(event("a", "a0", "id-0")),
                Map.of("a", ExpectedVersion.none()), 10));
        List<Future<AppendResult>> group = List.of(
                store.append(LOG, new AppendBatch(List.of(event("a", "a1", "id-1")), Map.of("a", ExpectedVersion.exactly(0)), 20)),
                store.append(LOG, AppendBatch.of(List.of(event("b", "b0", "id-2"), record("c", "c0")), 30)),
                store.append(LOG, AppendBatch.of(List.of(event("a", "a1", "id-1")), 40)), // a retry within the group
                store.append(LOG, new AppendBatch(List.of(record("a", "x")), Map.of("a", ExpectedVersion.none()), 50)),
                store.append(LOG, AppendBatch.of(List.of(event("a", "a0", "id-0")), 60))); // a retry of the first
        releaseFirst.complete();

        AppendResult ok = await(first);
        assertEquals(0, ok.firstPosition());
        for (Future<AppendResult> f : group) {
            StorageUnavailableException e = awaitFailure(StorageUnavailableException.class, f);
            assertTrue(e.retryable());
        }
        assertEquals(List.of(1), commits);
        assertEquals(new LogState(0, 1, 10), await(store.state(LOG)));
        assertEquals(List.of("0 a 0 id-0 10 a0 {d=a0} T"), describe(readAll(store)));
        assertEquals(0L, await(store.currentVersion(LOG, "a")));
        assertEquals(-1L, await(store.currentVersion(LOG, "b")));
        assertEquals(-1L, await(store.currentVersion(LOG, "c")));
        assertEquals(2L, await(store.storedBytes(LOG)), "only the first append's data bytes");

        // Nothing of the failed group is stored: its event ids are new, positions and versions carry on.
        AppendResult again = await(store.append(LOG, new AppendBatch(List.of(event("a", "a1", "id-1")),
                Map.of("a", ExpectedVersion.exactly(0)), 70)));
        assertFalse(again.duplicate());
        assertEquals(1, again.firstPosition());
        assertEquals(1, again.versions()[0]);
        assertEquals(List.of(1, 1), commits);
    }

    @Test
    void aTrimSubmittedBetweenAppendsRunsBetweenThem() {
        open(n -> null);
        Future<AppendResult> a0 = store.append(LOG, AppendBatch.of(List.of(record("k", "0")), 1));
        Future<AppendResult> a1 = store.append(LOG, AppendBatch.of(List.of(record("k", "1")), 2));
        Future<Long> trim = store.trim(LOG, Long.MAX_VALUE);
        Future<AppendResult> a2 = store.append(LOG, AppendBatch.of(List.of(record("k", "2")), 3));
        releaseFirst.complete();

        assertEquals(0, await(a0).firstPosition());
        assertEquals(1, await(a1).firstPosition());
        assertEquals(2L, await(trim));
        assertEquals(2, await(a2).firstPosition());
        assertEquals(List.of(1, 1, 1), commits, "the append after the trim did not join the one before it");
        assertEquals(List.of("2 k 2 null 3 2"), describe(readAll(store)));
    }

    @Test
    void anAppendPostgresCannotStoreFailsAloneAndTheOthersOfItsGroupLand() {
        open(n -> null);
        Future<AppendResult> first = store.append(LOG, AppendBatch.of(List.of(record("k", "0")), 1));
        Future<AppendResult> before = store.append(LOG, AppendBatch.of(List.of(record("k", "1")), 1));
        Future<AppendResult> bad = store.append(LOG, AppendBatch.of(List.of(record("nul\0key", "x")), 1));
        Future<AppendResult> badMetadata = store.append(LOG, AppendBatch.of(List.of(
                new NewRecord("k", bytes("x"), null, null, Map.of("h", "a\0b"))), 1));
        Future<AppendResult> after = store.append(LOG, AppendBatch.of(List.of(record("k", "2")), 1));
        releaseFirst.complete();

        await(first);
        assertTrue(awaitFailure(IllegalArgumentException.class, bad).getMessage().contains("U+0000"));
        awaitFailure(IllegalArgumentException.class, badMetadata);
        assertEquals(1, await(before).firstPosition());
        assertEquals(2, await(after).firstPosition());
        assertEquals(List.of(1, 2), commits);
        assertEquals(3, readAll(store).size());
    }

    // ---- the workload ----

    /**
     * Appends that interact: expected versions that hold or conflict (also on versions written a moment
     * earlier), event ids and their retries (recent ones, likely in the same group, and old ones), partial
     * retries. It reads the reference store's state to aim its expected versions. Not thread-safe.
     */
    private static final class Workload {
        static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k4");

        private final Random random;
        private final EventStore reference;
        private final List<List<NewRecord>> withIds = new ArrayList<>();
        private int nextId;

        Workload(Random random, EventStore reference) {
            this.random = random;
            this.reference = reference;
        }

        AppendBatch next(int i) {
            long arrival = 1_000 + i - (random.nextInt(5) == 0 ? 40 : 0); // sometimes behind the log's last arrival
            String key = KEYS.get(random.nextInt(KEYS.size()));
            long current = await(reference.currentVersion(LOG, key));
            int dice = random.nextInt(100);
            if (i == 0 || dice < 25) {
                return new AppendBatch(records(key, i, random.nextInt(3) + 1, false), Map.of(), arrival);
            }
            if (dice < 45) { // expecting the current version: holds unless an append between changes it
                ExpectedVersion expected = current < 0 ? ExpectedVersion.none() : ExpectedVersion.exactly(current);
                return new AppendBatch(records(key, i, random.nextInt(2) + 1, random.nextBoolean()),
                        Map.of(key, expected), arrival);
            }
            if (dice < 55) { // a stale or wrong expectation
                ExpectedVersion expected = current <= 0 ? ExpectedVersion.exactly(current + 2)
                        : random.nextBoolean() ? ExpectedVersion.exactly(current - 1) : ExpectedVersion.none();
                return new AppendBatch(records(key, i, 1, random.nextBoolean()), Map.of(key, expected), arrival);
            }
            if (dice < 65) { // expectation on another key than the records'
                String other = KEYS.get(random.nextInt(KEYS.size()));
                long otherVersion = await(reference.currentVersion(LOG, other));
                ExpectedVersion expected = otherVersion < 0 ? ExpectedVersion.none() : ExpectedVersion.exactly(otherVersion);
                return new AppendBatch(records(key, i, 1, false), Map.of(other, expected), arrival);
            }
            if (dice < 85 && !withIds.isEmpty()) { // a retry of a recent or an old append with event ids
                int n = withIds.size();
                int back = random.nextBoolean() ? random.nextInt(Math.min(n, 6)) : random.nextInt(n);
                List<NewRecord> original = withIds.get(n - 1 - back);
                Map<String, ExpectedVersion> expectations = random.nextBoolean()
                        ? Map.of(original.get(0).partitionKey(), ExpectedVersion.none()) : Map.of();
                return new AppendBatch(original, expectations, arrival); // the expectation is not looked at on a retry
            }
            if (dice < 92 && !withIds.isEmpty()) { // a partial retry: one stored (or rejected) id plus a new one
                List<NewRecord> original = withIds.get(withIds.size() - 1 - random.nextInt(Math.min(withIds.size(), 6)));
                List<NewRecord> records = new ArrayList<>(records(key, i, 1, true));
                records.add(random.nextInt(2), original.get(0));
                return AppendBatch.of(records, arrival);
            }
            return new AppendBatch(records(key, i, 1, true), Map.of(key, ExpectedVersion.any()), arrival);
        }

        private List<NewRecord> records(String key, int i, int n, boolean ids) {
            List<NewRecord> out = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                String k = r == 0 ? key : KEYS.get(random.nextInt(KEYS.size()));
                out.add(ids ? event(k, "v" + i + "." + r, "id-" + nextId++) : record(k, "v" + i + "." + r));
            }
            if (ids) {
                withIds.add(out);
            }
            return out;
        }
    }

    // ---- helpers ----

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static NewRecord record(String key, String data) {
        return NewRecord.of(key, bytes(data));
    }

    private static NewRecord event(String key, String data, String id) {
        return new NewRecord(key, bytes(data), id, "T", Map.of("d", data));
    }

    /** The future's value, or its failure. */
    private static Object outcome(Future<AppendResult> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String kind(Object outcome) {
        return outcome instanceof AppendResult r ? (r.duplicate() ? "duplicate" : "appended")
                : outcome.getClass().getSimpleName();
    }

    private static void assertSameOutcome(Object want, Object got, String what) {
        assertNotNull(got, what);
        assertEquals(kind(want), kind(got), what + ": " + got);
        if (want instanceof AppendResult w && got instanceof AppendResult g) {
            assertArrayEquals(w.positions(), g.positions(), what);
            assertArrayEquals(w.versions(), g.versions(), what);
            assertEquals(w.arrivalMillis(), g.arrivalMillis(), what);
        } else if (want instanceof WrongExpectedVersionException w && got instanceof WrongExpectedVersionException g) {
            assertEquals(List.of(w.log(), w.key(), w.expected(), w.actual()), List.of(g.log(), g.key(), g.expected(),
                    g.actual()), what);
        } else if (want instanceof DuplicateEventIdException w && got instanceof DuplicateEventIdException g) {
            assertEquals(w.eventId(), g.eventId(), what);
        } else {
            assertNull(want, what + ": unexpected outcome " + want);
        }
    }

    private static List<StoredRecord> readAll(EventStore store) {
        List<StoredRecord> out = new ArrayList<>();
        long from = 0;
        while (true) {
            var r = await(store.read(LOG, from, 1000, Long.MAX_VALUE));
            if (r.records().isEmpty()) {
                return out;
            }
            out.addAll(r.records());
            from = r.nextPosition();
        }
    }

    private static List<String> describe(List<StoredRecord> records) {
        return records.stream().map(r -> r.position() + " " + r.partitionKey() + " " + r.version() + " " + r.eventId()
                + " " + r.arrivalMillis() + " " + new String(r.data(), StandardCharsets.UTF_8)
                + (r.metadata().isEmpty() ? "" : " " + r.metadata()) + (r.eventType() == null ? "" : " " + r.eventType()))
                .toList();
    }
}
