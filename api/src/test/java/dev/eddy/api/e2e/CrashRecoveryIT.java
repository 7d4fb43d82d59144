package dev.eddy.api.e2e;

import dev.eddy.eventstore.postgres.PostgresTestServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.math.BigInteger;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety: {@code eddy.jar} on MapDB in a child process, written to under load and killed with SIGKILL,
 * several times over on the same data directory. After each restart every record the client saw
 * acknowledged is there, byte-identical, with the same sequence number and shard, and no PutRecords call
 * is half visible on any shard.
 *
 * <p>Each record's data says which call (batch id) it came from and how many entries of that call went to
 * its shard (the test routes by MD5 itself), so the all-or-nothing check needs no client memory of
 * unacknowledged calls.
 */
class CrashRecoveryIT {

    private static final String STREAM = "crash";
    private static final int ROUNDS = 4;
    private static final int WRITERS = 4;
    private static final int SHARDS = 4;
    private static final int KEYS = 32;
    private static final int HEADER = 8 + 4 + 4 + 4;

    /** An acknowledged record: where the server said it put it, and what it was. */
    private record Acked(String shardId, byte[] data) {
    }

    private final Map<String, Acked> acked = new ConcurrentHashMap<>();

    /** The server's storage flags: MapDB in {@code dataDir}, or a fresh database on the test PostgreSQL server. */
    private static List<String> storageArgs(String storage, Path dataDir) {
        return storage.equals("postgres")
                ? List.of("--storage", "postgres", "--pg-url", PostgresTestServer.createDatabase())
                : List.of("--storage", "mapdb", "--data-dir", dataDir.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mapdb", "postgres"})
    void acknowledgedRecordsSurviveRepeatedSigkill(String storage, @TempDir Path dataDir) throws Exception {
        List<String> storageArgs = storageArgs(storage, dataDir);
        List<Shard> shards = null;
        for (int round = 1; round <= ROUNDS; round++) {
            EddyProcess eddy = EddyProcess.start(storageArgs, dataDir);
            try (KinesisClient client = client(eddy.endpoint())) {
                if (round == 1) {
                    assertTrue(eddy.stdout().stream().anyMatch(l -> l.contains("listening on")), eddy.stdout()::toString);
                    client.createStream(b -> b.streamName(STREAM).shardCount(SHARDS));
                }
                waitUntilExists(client);
                if (round == 1) {
                    shards = client.listShards(b -> b.streamName(STREAM)).shards();
                } else {
                    verify(client, shards, eddy);
                }
                long before = acked.size();
                long calls = load(client, shards, round, eddy);
                assertTrue(acked.size() > before, "round " + round + " acknowledged nothing in " + calls + " calls; "
                        + eddy.diagnostics());
            } catch (Throwable t) {
                eddy.kill();
                throw t;
            }
        }
        EddyProcess eddy = EddyProcess.start(storageArgs, dataDir);
        try (KinesisClient client = client(eddy.endpoint())) {
            waitUntilExists(client);
            verify(client, shards, eddy);
        } finally {
            // A JVM that ran its shutdown hooks on SIGTERM exits with 128 + 15 unless it calls exit(0) itself.
            int exit = eddy.stop();
            assertTrue(exit == 0 || exit == 143, "exit code after SIGTERM: " + exit + "; " + eddy.diagnostics());
        }
    }

    /** Writes from several threads, kills the server mid-load (SIGKILL), returns the calls made. */
    private long load(KinesisClient client, List<Shard> shards, int round, EddyProcess eddy) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> write(client, shards, round, writer, stop, calls)));
            }
            long loadMillis = 800 + new SplittableRandom(round).nextInt(1200);
            for (Future<?> f : writers) {
                // writers run until stopped: this only waits for the load period (or an early failure)
                try {
                    f.get(loadMillis, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillWriting) {
                    break;
                }
            }
            assertEquals(137, eddy.kill(), "exit code after SIGKILL");
            stop.set(true);
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return calls.get();
    }

    private Void write(KinesisClient client, List<Shard> shards, int round, int writer, AtomicBoolean stop,
                       AtomicLong calls) {
        SplittableRandom random = new SplittableRandom(round * 1000L + writer);
        for (int batchNo = 0; !stop.get(); batchNo++) {
            long batchId = ((long) round << 40) | ((long) writer << 32) | batchNo;
            int size = 20 + random.nextInt(181);
            String[] keys = new String[size];
            Map<String, Integer> perShard = new HashMap<>();
            for (int i = 0; i < size; i++) {
                keys[i] = "key-" + random.nextInt(KEYS);
                perShard.merge(Shards.shardFor(Shards.hashKey(keys[i]), shards).shardId(), 1, Integer::sum);
            }
            List<PutRecordsRequestEntry> entries = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int onShard = perShard.get(Shards.shardFor(Shards.hashKey(keys[i]), shards).shardId());
                entries.add(PutRecordsRequestEntry.builder().partitionKey(keys[i])
                        .data(SdkBytes.fromByteArrayUnsafe(data(batchId, onShard, i, 50 + random.nextInt(300), random)))
                        .build());
            }
            PutRecordsResponse response;
            try {
                calls.incrementAndGet();
                response = client.putRecords(b -> b.streamName(STREAM).records(entries));
            } catch (RuntimeException failed) {
                continue; // the server is being killed or restarted: not acknowledged
            }
            for (int i = 0; i < size; i++) {
                PutRecordsResultEntry result = response.records().get(i);
                if (result.errorCode() == null) {
                    acked.put(result.sequenceNumber(),
                            new Acked(result.shardId(), entries.get(i).data().asByteArrayUnsafe()));
                }
            }
        }
        return null;
    }

    /** batch id (8) | entries of this batch on this record's shard (4) | index in batch (4) | CRC32C (4) | payload. */
    private static byte[] data(long batchId, int onShard, int index, int payload, SplittableRandom random) {
        byte[] data = new byte[HEADER + payload];
        for (int i = HEADER; i < data.length; i++) {
            data[i] = (byte) random.nextInt();
        }
        CRC32C crc = new CRC32C();
        crc.update(data, HEADER, payload);
        ByteBuffer.wrap(data).putLong(batchId).putInt(onShard).putInt(index).putInt((int) crc.getValue());
        return data;
    }

    private void verify(KinesisClient client, List<Shard> shards, EddyProcess eddy) {
        Map<String, Record> bySequence = new HashMap<>();
        Map<String, String> shardOf = new HashMap<>();
        Map<String, Integer> countPerBatchAndShard = new HashMap<>();
        Map<String, Integer> expectedPerBatchAndShard = new HashMap<>();
        for (Shard shard : shards) {
            BigInteger last = BigInteger.valueOf(-1);
            for (Record r : Shards.readShard(client, STREAM, shard.shardId())) {
                BigInteger seq = new BigInteger(r.sequenceNumber());
                assertTrue(seq.compareTo(last) > 0, shard.shardId() + ": " + last + " then " + seq);
                last = seq;
                bySequence.put(r.sequenceNumber(), r);
                shardOf.put(r.sequenceNumber(), shard.shardId());
                ByteBuffer data = r.data().asByteBuffer();
                long batchId = data.getLong(0);
                int onShard = data.getInt(8);
                CRC32C crc = new CRC32C();
                byte[] bytes = r.data().asByteArrayUnsafe();
                crc.update(bytes, HEADER, bytes.length - HEADER);
                assertEquals(data.getInt(16), (int) crc.getValue(), "corrupted record " + r.sequenceNumber());
                String group = Long.toHexString(batchId) + "@" + shard.shardId();
                countPerBatchAndShard.merge(group, 1, Integer::sum);
                expectedPerBatchAndShard.put(group, onShard);
            }
        }
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            Record r = bySequence.get(e.getKey());
            assertNotNull(r, "acknowledged record " + e.getKey() + " on " + e.getValue().shardId() + " is lost; "
                    + acked.size() + " acknowledged, " + bySequence.size() + " read; " + eddy.diagnostics());
            assertEquals(e.getValue().shardId(), shardOf.get(e.getKey()), "shard of " + e.getKey());
            assertArrayEquals(e.getValue().data(), r.data().asByteArrayUnsafe(), "data of " + e.getKey());
        }
        System.out.printf("crash IT: %d acknowledged records all found among %d read, %d batch parts whole%n",
                acked.size(), bySequence.size(), countPerBatchAndShard.size());
        for (Map.Entry<String, Integer> group : countPerBatchAndShard.entrySet()) {
            assertEquals(expectedPerBatchAndShard.get(group.getKey()), group.getValue(),
                    "half a batch visible: batch@shard " + group.getKey());
        }
    }

    private static void waitUntilExists(KinesisClient client) {
        try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(STREAM)).matched().response().orElseThrow();
        }
    }

    private static KinesisClient client(URI endpoint) {
        return SdkClients.syncNoRetries(endpoint, WRITERS + 2, Duration.ofSeconds(60));
    }

}
