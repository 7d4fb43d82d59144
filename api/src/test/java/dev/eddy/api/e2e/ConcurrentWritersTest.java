package dev.eddy.api.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eight concurrent writers on four shards with 64 keys: every key's records in the order written, every
 * shard's sequence numbers strictly increasing, nothing lost, nothing duplicated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrentWritersTest extends AbstractSdkTest {

    private static final String STREAM = "concurrent";
    private static final int WRITERS = 8;
    private static final int KEYS = 64;
    private static final int CALLS_PER_WRITER = 25;
    private static final int ENTRIES_PER_CALL = 128; // a multiple of the 8 keys a writer owns


    @Test
    void eightWritersKeepOrderAndLoseNothing() throws Exception {
        Shards.createStream(client, STREAM, 4);
        List<Shard> shards = client.listShards(b -> b.streamName(STREAM)).shards();
        assertEquals(4, shards.size());

        // Writer w owns keys w, w+8, ...: a key's records go out in order, one call after another.
        Map<String, String> acked = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    go.await();
                    write(writer, acked);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = WRITERS * CALLS_PER_WRITER * ENTRIES_PER_CALL;
        assertEquals(total, acked.size());

        Map<Integer, List<Integer>> countersByKey = new HashMap<>();
        Map<Integer, String> shardOfKey = new HashMap<>();
        Set<String> sequenceNumbers = new HashSet<>();
        int read = 0;
        for (Shard shard : shards) {
            BigInteger last = BigInteger.valueOf(-1);
            for (Record r : Shards.readShard(client, STREAM, shard.shardId())) {
                read++;
                BigInteger seq = new BigInteger(r.sequenceNumber());
                assertTrue(seq.compareTo(last) > 0, "sequence numbers of " + shard.shardId() + " must increase: "
                        + last + " then " + seq);
                last = seq;
                assertTrue(sequenceNumbers.add(r.sequenceNumber()), "sequence number repeated: " + seq);
                String[] parts = r.data().asUtf8String().split("\\|");
                int key = Integer.parseInt(parts[0]);
                int counter = Integer.parseInt(parts[1]);
                assertEquals("key-" + key, r.partitionKey());
                assertEquals(acked.get(r.data().asUtf8String()), r.sequenceNumber(), "acknowledged sequence number");
                String previous = shardOfKey.putIfAbsent(key, shard.shardId());
                assertTrue(previous == null || previous.equals(shard.shardId()), "key " + key + " on two shards");
                countersByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(counter);
            }
        }
        assertEquals(total, read, "records read");
        assertEquals(KEYS, countersByKey.size());
        int perKey = total / KEYS;
        for (Map.Entry<Integer, List<Integer>> e : countersByKey.entrySet()) {
            List<Integer> expected = java.util.stream.IntStream.range(0, perKey).boxed().toList();
            assertEquals(expected, e.getValue(), "counters of key " + e.getKey() + " in shard order");
            assertEquals(Shards.shardFor(Shards.hashKey("key-" + e.getKey()), shards).shardId(),
                    shardOfKey.get(e.getKey()));
        }
    }

    private void write(int writer, Map<String, String> acked) {
        int[] keys = java.util.stream.IntStream.range(0, KEYS).filter(k -> k % WRITERS == writer).toArray();
        int[] counters = new int[KEYS];
        int next = 0;
        for (int call = 0; call < CALLS_PER_WRITER; call++) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < ENTRIES_PER_CALL; i++) {
                int key = keys[next++ % keys.length];
                entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + key)
                        .data(SdkBytes.fromUtf8String(key + "|" + counters[key]++)).build());
            }
            PutRecordsResponse response = client.putRecords(b -> b.streamName(STREAM).records(entries));
            assertEquals(0, response.failedRecordCount(), () -> "failed entries: " + response.records());
            for (int i = 0; i < entries.size(); i++) {
                acked.put(entries.get(i).data().asUtf8String(), response.records().get(i).sequenceNumber());
            }
        }
    }
}
