package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SplitShard and MergeShards with the AWS SDK v2 (CBOR and JSON): layouts, closed shards, errors, races. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReshardTest {

    private EddyFixture eddy;
    private KinesisClient cbor;
    private KinesisClient json;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(config -> config);
        cbor = SdkClients.syncCbor(eddy.endpoint());
        json = SdkClients.syncJson(eddy.endpoint());
    }

    @AfterAll
    void stop() {
        cbor.close();
        json.close();
        eddy.close();
    }

    private List<Shard> shards(KinesisClient client, String stream) {
        return client.describeStream(b -> b.streamName(stream)).streamDescription().shards();
    }

    private static BigInteger start(Shard s) {
        return new BigInteger(s.hashKeyRange().startingHashKey());
    }

    private static BigInteger end(Shard s) {
        return new BigInteger(s.hashKeyRange().endingHashKey());
    }

    private static BigInteger middle(Shard s) {
        return start(s).add(end(s)).shiftRight(1);
    }

    @Test
    void splitThenMergeGivesKinesissLayoutAndClosedShardSemantics() {
        Shards.createStream(cbor, "layout", 1);
        List<PutRecordResponse> before = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            before.add(cbor.putRecord(b -> b.streamName("layout").partitionKey("k" + n)
                    .data(SdkBytes.fromUtf8String("before-" + n))));
        }
        Shard parent = shards(cbor, "layout").get(0);
        BigInteger at = middle(parent);
        cbor.splitShard(b -> b.streamName("layout").shardToSplit(parent.shardId())
                .newStartingHashKey(at.toString()));
        List<Shard> afterSplit = shards(json, "layout");
        assertEquals(3, afterSplit.size());
        assertEquals(StreamStatus.ACTIVE, cbor.describeStreamSummary(b -> b.streamName("layout"))
                .streamDescriptionSummary().streamStatus());
        Shard closed = afterSplit.get(0);
        Shard low = afterSplit.get(1);
        Shard high = afterSplit.get(2);
        assertNotNull(closed.sequenceNumberRange().endingSequenceNumber(), "the parent is closed");
        assertEquals(before.get(before.size() - 1).sequenceNumber(), closed.sequenceNumberRange().endingSequenceNumber(),
                "it ends at its last record");
        assertEquals("shardId-000000000001", low.shardId());
        assertEquals("shardId-000000000002", high.shardId());
        assertEquals(parent.shardId(), low.parentShardId());
        assertEquals(parent.shardId(), high.parentShardId());
        assertEquals(start(parent), start(low));
        assertEquals(at.subtract(BigInteger.ONE), end(low));
        assertEquals(at, start(high));
        assertEquals(end(parent), end(high));
        assertNull(low.sequenceNumberRange().endingSequenceNumber());
        assertTrue(new BigInteger(low.sequenceNumberRange().startingSequenceNumber())
                .compareTo(new BigInteger(closed.sequenceNumberRange().endingSequenceNumber())) > 0);

        // Reading the parent to its end: no next iterator, the children named.
        String iterator = cbor.getShardIterator(b -> b.streamName("layout").shardId(parent.shardId())
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        GetRecordsResponse page = cbor.getRecords(b -> b.shardIterator(iterator).limit(10_000));
        assertEquals(20, page.records().size());
        assertNull(page.nextShardIterator());
        assertEquals(List.of(low.shardId(), high.shardId()), page.childShards().stream().map(ChildShard::shardId).toList());
        assertEquals(List.of(parent.shardId()), page.childShards().get(0).parentShards());

        // New records go to the children, by hash key.
        for (int i = 0; i < 20; i++) {
            String key = "k" + i;
            PutRecordResponse put = json.putRecord(b -> b.streamName("layout").partitionKey(key)
                    .data(SdkBytes.fromUtf8String("after")));
            assertEquals(Shards.shardFor(Shards.hashKey(key), List.of(low, high)).shardId(), put.shardId());
        }
        assertEquals(List.of(low.shardId(), high.shardId()), cbor.listShards(b -> b.streamName("layout")
                .shardFilter(f -> f.type(ShardFilterType.AT_LATEST))).shards().stream().map(Shard::shardId).toList());
        assertEquals(3, cbor.listShards(b -> b.streamName("layout")
                .shardFilter(f -> f.type(ShardFilterType.FROM_TRIM_HORIZON))).shards().size());

        json.mergeShards(b -> b.streamName("layout").shardToMerge(high.shardId()).adjacentShardToMerge(low.shardId()));
        List<Shard> afterMerge = shards(cbor, "layout");
        assertEquals(4, afterMerge.size());
        Shard merged = afterMerge.get(3);
        assertEquals(high.shardId(), merged.parentShardId());
        assertEquals(low.shardId(), merged.adjacentParentShardId());
        assertEquals(start(parent), start(merged));
        assertEquals(end(parent), end(merged));
        assertEquals(1, cbor.describeStreamSummary(b -> b.streamName("layout")).streamDescriptionSummary()
                .openShardCount());
        PutRecordResponse last = cbor.putRecord(b -> b.streamName("layout").partitionKey("z")
                .data(SdkBytes.fromUtf8String("merged")));
        assertEquals(merged.shardId(), last.shardId());
    }

    @Test
    void badReshardsAreRefusedWithKinesisErrorsAndChangeNothing() {
        Shards.createStream(cbor, "strict", 2);
        List<Shard> two = shards(cbor, "strict");
        Shard first = two.get(0);
        assertThrows(InvalidArgumentException.class, () -> cbor.splitShard(b -> b.streamName("strict")
                .shardToSplit(first.shardId()).newStartingHashKey(start(first).add(BigInteger.ONE).toString())));
        assertThrows(InvalidArgumentException.class, () -> json.splitShard(b -> b.streamName("strict")
                .shardToSplit(first.shardId()).newStartingHashKey(end(first).toString())));
        assertThrows(ResourceNotFoundException.class, () -> cbor.splitShard(b -> b.streamName("strict")
                .shardToSplit("shardId-000000000007").newStartingHashKey("100")));
        assertThrows(ResourceNotFoundException.class, () -> cbor.splitShard(b -> b.streamName("nope")
                .shardToSplit(first.shardId()).newStartingHashKey("100")));
        assertThrows(software.amazon.awssdk.services.kinesis.model.KinesisException.class,
                () -> cbor.splitShard(b -> b.streamName("strict").shardToSplit(first.shardId())
                        .newStartingHashKey("12ab")));
        assertThrows(InvalidArgumentException.class, () -> cbor.mergeShards(b -> b.streamName("strict")
                .shardToMerge(first.shardId()).adjacentShardToMerge(first.shardId())));
        assertEquals(two, shards(cbor, "strict"), "nothing changed");
        cbor.splitShard(b -> b.streamName("strict").shardToSplit(first.shardId())
                .newStartingHashKey(middle(first).toString()));
        InvalidArgumentException again = assertThrows(InvalidArgumentException.class, () -> cbor.splitShard(
                b -> b.streamName("strict").shardToSplit(first.shardId()).newStartingHashKey(middle(first).toString())));
        assertTrue(again.awsErrorDetails().errorMessage().contains("already been merged or split"));
        // shardId-000000000002 and -000000000003 are first's children; 000000000001 is not adjacent to the low one.
        InvalidArgumentException apart = assertThrows(InvalidArgumentException.class, () -> cbor.mergeShards(
                b -> b.streamName("strict").shardToMerge("shardId-000000000002").adjacentShardToMerge("shardId-000000000001")));
        assertTrue(apart.awsErrorDetails().errorMessage().contains("not an adjacent pair"));
    }

    @Test
    void updateShardCountScalesUniformlyThroughSplitsAndMerges() {
        Shards.createStream(cbor, "scaling", 2);
        Map<String, List<String>> acked = new HashMap<>();
        Runnable put = () -> {
            for (int i = 0; i < 100; i++) {
                String key = "k" + (i % 25);
                int n = i;
                acked.computeIfAbsent(key, k -> new ArrayList<>()).add(cbor.putRecord(b -> b.streamName("scaling")
                        .partitionKey(key).data(SdkBytes.fromUtf8String("v" + n))).sequenceNumber());
            }
        };
        put.run();
        var up = cbor.updateShardCount(b -> b.streamName("scaling").targetShardCount(4)
                .scalingType(software.amazon.awssdk.services.kinesis.model.ScalingType.UNIFORM_SCALING));
        assertEquals(2, up.currentShardCount());
        assertEquals(4, up.targetShardCount());
        assertUniform(shards(cbor, "scaling"), 4);
        put.run();
        json.updateShardCount(b -> b.streamName("scaling").targetShardCount(3)
                .scalingType(software.amazon.awssdk.services.kinesis.model.ScalingType.UNIFORM_SCALING));
        assertUniform(shards(json, "scaling"), 3);
        put.run();
        assertThrows(software.amazon.awssdk.services.kinesis.model.LimitExceededException.class,
                () -> cbor.updateShardCount(b -> b.streamName("scaling").targetShardCount(7)
                        .scalingType(software.amazon.awssdk.services.kinesis.model.ScalingType.UNIFORM_SCALING)));
        assertThrows(software.amazon.awssdk.services.kinesis.model.LimitExceededException.class,
                () -> cbor.updateShardCount(b -> b.streamName("scaling").targetShardCount(1)
                        .scalingType(software.amazon.awssdk.services.kinesis.model.ScalingType.UNIFORM_SCALING)));
        assertThrows(software.amazon.awssdk.services.kinesis.model.KinesisException.class,
                () -> cbor.updateShardCount(b -> b.streamName("scaling").targetShardCount(4)));
        assertEquals(acked, readParentsFirst(cbor, "scaling"), "every record once, each key in order");
    }

    /** The open shards are {@code n} shards of equal ranges covering the hash-key space; each has its parents. */
    private void assertUniform(List<Shard> all, int n) {
        List<Shard> open = all.stream().filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).toList();
        assertEquals(n, open.size());
        BigInteger space = Shards.MAX_HASH_KEY.add(BigInteger.ONE);
        for (int i = 0; i < n; i++) {
            Shard s = open.get(i);
            assertEquals(space.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(n)), start(s));
            assertEquals(space.multiply(BigInteger.valueOf(i + 1)).divide(BigInteger.valueOf(n)).subtract(BigInteger.ONE),
                    end(s));
            assertNotNull(s.parentShardId(), s.shardId() + " has a parent");
        }
        assertEquals(StreamStatus.ACTIVE, cbor.describeStreamSummary(b -> b.streamName("scaling"))
                .streamDescriptionSummary().streamStatus());
    }

    /** Reads every shard after its parents, as KCL does; returns each key's sequence numbers in read order. */
    private Map<String, List<String>> readParentsFirst(KinesisClient client, String stream) {
        List<Shard> all = shards(client, stream);
        Map<String, List<String>> seen = new HashMap<>();
        Set<String> done = new HashSet<>();
        Set<String> unique = new HashSet<>();
        while (done.size() < all.size()) {
            boolean progressed = false;
            for (Shard s : all) {
                if (done.contains(s.shardId()) || s.parentShardId() != null && !done.contains(s.parentShardId())
                        || s.adjacentParentShardId() != null && !done.contains(s.adjacentParentShardId())) {
                    continue;
                }
                for (Record r : Shards.readShard(client, stream, s.shardId())) {
                    assertTrue(unique.add(r.sequenceNumber()), "read twice: " + r.sequenceNumber());
                    seen.computeIfAbsent(r.partitionKey(), k -> new ArrayList<>()).add(r.sequenceNumber());
                }
                done.add(s.shardId());
                progressed = true;
            }
            assertTrue(progressed, "a shard whose parents never end");
        }
        return seen;
    }

    /**
     * Producers (four threads per SDK client and wire format, so appends are in flight whenever a reshard
     * closes a shard) write while the stream is split twice and merged once; a reader that follows parents before
     * children (as KCL does) reads every acknowledged record exactly once, in order per partition key.
     */
    @Test
    void appendsRacingReshardsAreNeitherLostNorDoubledAndKeysStayInOrder() throws Exception {
        Shards.createStream(cbor, "racing", 2);
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, List<String>> acked = new ConcurrentHashMap<>(); // key -> sequence numbers, in put order
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            int producer = p;
            KinesisClient client = producer % 2 == 0 ? cbor : json;
            Thread t = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "p" + producer + "-k" + (i % 16);
                    int n = i;
                    try {
                        PutRecordResponse r = client.putRecord(b -> b.streamName("racing").partitionKey(key)
                                .data(SdkBytes.fromUtf8String(key + "#" + n)));
                        acked.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(r.sequenceNumber());
                    } catch (RuntimeException e) {
                        failures.add(e);
                        return;
                    }
                }
            }, "producer-" + p);
            t.start();
            producers.add(t);
        }
        Thread.sleep(300);
        List<Shard> initial = shards(cbor, "racing");
        cbor.splitShard(b -> b.streamName("racing").shardToSplit(initial.get(0).shardId())
                .newStartingHashKey(middle(initial.get(0)).toString()));
        Thread.sleep(300);
        json.splitShard(b -> b.streamName("racing").shardToSplit(initial.get(1).shardId())
                .newStartingHashKey(middle(initial.get(1)).toString()));
        Thread.sleep(300);
        // The upper child of the first split and the lower child of the second are adjacent.
        cbor.mergeShards(b -> b.streamName("racing").shardToMerge("shardId-000000000003")
                .adjacentShardToMerge("shardId-000000000004"));
        Thread.sleep(300);
        stop.set(true);
        for (Thread t : producers) {
            t.join();
        }
        assertEquals(List.of(), failures);

        // Parents before children: a shard is read once all its parents have been read to their end.
        assertEquals(7, shards(cbor, "racing").size());
        Map<String, List<String>> seen = readParentsFirst(cbor, "racing");
        long read = seen.values().stream().mapToLong(List::size).sum();
        long total = acked.values().stream().mapToLong(List::size).sum();
        assertTrue(total > 100, "the producers wrote " + total);
        assertEquals(total, read, "every acknowledged record read once, no other");
        for (Map.Entry<String, List<String>> e : acked.entrySet()) {
            assertEquals(e.getValue(), seen.get(e.getKey()), "order of key " + e.getKey());
        }
    }
}
