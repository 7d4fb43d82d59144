package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store in a child JVM, appending under load, killed with SIGKILL at a different point each round on the same
 * data directory: every append the child reported acknowledged is there, byte-identical at its position, and every
 * log is made of whole batches, and the key index agrees with the records: every key's history is exactly its
 * records in order with versions 0, 1, 2, ..., its current version is its last, and a retried append of stored
 * event ids is answered as a duplicate. Checkpoints run every commit in some rounds and never in others, and the key
 * index writes its files every few dozen records in some rounds, so kills land in a checkpoint, in a key index flush
 * or merge, and with everything only in the redo log.
 */
class MapDbKillTest extends EventStoreTckBase {

    private static final int LOGS = 4;
    private static final int IN_FLIGHT = 8;

    private MapDbFixture mapdb;

    @Override
    protected MapDbFixture fixture() {
        mapdb = new MapDbFixture();
        return mapdb;
    }

    /** The child: appends until killed, printing {@code ACK log first count id} for each acknowledged append. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        LoggedBatchStorage.Policy policy = round % 2 == 0 ? LoggedBatchStorage.Policy.DEFAULT
                : new LoggedBatchStorage.Policy(0, 0, 64L << 20, 256L << 10); // a checkpoint per commit, small files
        MapDbOptions options = MapDbOptions.defaults(dir);
        if (round % 3 != 0) {
            options = options.withKeyIndexFlushEntries(64 + round);
        }
        Vertx vertx = Vertx.vertx();
        EventStore store = await(MapDbEventStore.open(vertx, options, v -> v, policy));
        ArrayDeque<CompletableFuture<AppendResult>> window = new ArrayDeque<>();
        ArrayDeque<String> heads = new ArrayDeque<>();
        for (long i = 0; ; i++) {
            String log = "k/" + (i % LOGS);
            int n = 1 + (int) (i % 5);
            String id = round + "." + i;
            window.add(store.append(log, AppendBatch.of(batch(id, n), System.currentTimeMillis()))
                    .toCompletionStage().toCompletableFuture());
            heads.add(log + " " + n + " " + id);
            if (window.size() == IN_FLIGHT) {
                AppendResult r = window.remove().get();
                String[] h = heads.remove().split(" ");
                System.out.println("ACK " + h[0] + " " + r.firstPosition() + " " + h[1] + " " + h[2]);
                System.out.flush();
            }
        }
    }

    private static List<NewRecord> batch(String id, int n) {
        List<NewRecord> records = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            records.add(new NewRecord("key-" + j, data(id, j, n), id + "/" + j, null, Map.of()));
        }
        return records;
    }

    private static byte[] data(String id, int j, int n) {
        return (id + ":" + j + ":" + n + ":" + "z".repeat(200 + (id.hashCode() & 0x3ff))).getBytes(StandardCharsets.UTF_8);
    }

    private record Ack(String log, long first, int count, String id) {
    }

    @Test
    void acknowledgedAppendsSurviveSigkill() throws Exception {
        await(store.close());
        store = null;
        List<Ack> acked = new ArrayList<>();
        int[] killAfter = {300, 1_500, 40, 3_000, 700, 5};
        for (int round = 0; round < killAfter.length; round++) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    MapDbKillTest.class.getName(), mapdb.dir().toString(), Integer.toString(round))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            int seen = 0;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while (seen < killAfter[round] && (line = out.readLine()) != null) {
                    String[] f = line.split(" ");
                    if (f[0].equals("ACK")) {
                        acked.add(new Ack(f[1], Long.parseLong(f[2]), Integer.parseInt(f[3]), f[4]));
                        seen++;
                    }
                }
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child died");
            }
            assertEquals(killAfter[round], seen, "round " + round + ": the child stopped early");

            store = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(mapdb.dir())).map(s -> (EventStore) s));
            verify(acked, "after kill " + round);
            await(store.close());
            store = null;
        }
    }

    private void verify(List<Ack> acked, String when) {
        Map<String, List<StoredRecord>> logs = new HashMap<>();
        for (int l = 0; l < LOGS; l++) {
            String log = "k/" + l;
            List<StoredRecord> all = readAll(log);
            logs.put(log, all);
            // whole batches only: records j = 0..n-1 of one id, in order
            int i = 0;
            while (i < all.size()) {
                String[] first = new String(all.get(i).data(), StandardCharsets.UTF_8).split(":");
                int n = Integer.parseInt(first[2]);
                assertTrue(i + n <= all.size(), when + ": half of batch " + first[0] + " in " + log);
                for (int j = 0; j < n; j++) {
                    assertEquals(new String(data(first[0], j, n), StandardCharsets.UTF_8),
                            new String(all.get(i + j).data(), StandardCharsets.UTF_8), when + ": " + log + " @" + (i + j));
                }
                i += n;
            }
        }
        verifyKeys(logs, when);
        for (Ack a : acked) {
            List<StoredRecord> all = logs.get(a.log());
            assertTrue(a.first() + a.count() <= all.size(), when + ": acknowledged " + a + " is missing");
            for (int j = 0; j < a.count(); j++) {
                StoredRecord r = all.get((int) a.first() + j);
                assertEquals(a.first() + j, r.position());
                assertEquals(new String(data(a.id(), j, a.count()), StandardCharsets.UTF_8),
                        new String(r.data(), StandardCharsets.UTF_8), when + ": acknowledged " + a);
            }
        }
        if (!acked.isEmpty()) {
            // A retry of an acknowledged append is recognised by its event ids, wherever they are indexed.
            Ack a = acked.get(acked.size() / 2);
            AppendResult retry = await(store.append(a.log(), AppendBatch.of(batch(a.id(), a.count()), 1)));
            assertTrue(retry.duplicate(), when + ": a retry of " + a + " is a duplicate");
            assertEquals(a.first(), retry.firstPosition(), when + ": the retry of " + a + " answers its position");
        }
    }

    private void verifyKeys(Map<String, List<StoredRecord>> logs, String when) {
        for (var log : logs.entrySet()) {
            Map<String, List<StoredRecord>> byKey = new HashMap<>();
            for (StoredRecord r : log.getValue()) {
                List<StoredRecord> history = byKey.computeIfAbsent(r.partitionKey(), k -> new ArrayList<>());
                assertEquals(history.size(), r.version(), when + ": version of " + log.getKey() + " @" + r.position());
                history.add(r);
            }
            for (var key : byKey.entrySet()) {
                List<StoredRecord> expected = key.getValue();
                List<StoredRecord> history = await(store.readKey(log.getKey(), key.getKey(), 0, Integer.MAX_VALUE));
                assertEquals(expected.stream().map(StoredRecord::position).toList(),
                        history.stream().map(StoredRecord::position).toList(),
                        when + ": history of " + key.getKey() + " in " + log.getKey());
                assertEquals(expected.size() - 1L, await(store.currentVersion(log.getKey(), key.getKey())),
                        when + ": current version of " + key.getKey() + " in " + log.getKey());
                int from = expected.size() / 2;
                assertEquals(expected.get(from).position(),
                        await(store.readKey(log.getKey(), key.getKey(), from, 1)).get(0).position(),
                        when + ": history of " + key.getKey() + " from version " + from);
            }
        }
    }
}
