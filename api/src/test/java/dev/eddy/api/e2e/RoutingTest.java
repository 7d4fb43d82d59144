package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records land on the shard whose hash-key range holds MD5(partition key), or the explicit hash key. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutingTest {

    private static final String STREAM = "routing";
    private EddyFixture eddy;
    private KinesisClient client;
    private List<Shard> shards;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        client = SdkClients.syncCbor(eddy.endpoint());
        client.createStream(b -> b.streamName(STREAM).shardCount(5));
        try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(STREAM));
        }
        shards = client.listShards(b -> b.streamName(STREAM)).shards();
        assertEquals(5, shards.size());
    }

    @AfterAll
    void stop() {
        client.close();
        eddy.close();
    }

    @Test
    void partitionKeyRoutesByMd5() {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String key = switch (i % 3) {
                case 0 -> "key-" + i;
                case 1 -> "ключ-" + i + "-\uD83D\uDE80";
                default -> "k".repeat(1 + i % 256);
            };
            entries.add(PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("v" + i))
                    .build());
        }
        PutRecordsResponse response = client.putRecords(b -> b.streamName(STREAM).records(entries));
        assertEquals(0, response.failedRecordCount());
        for (int i = 0; i < entries.size(); i++) {
            String key = entries.get(i).partitionKey();
            assertEquals(Shards.shardFor(Shards.hashKey(key), shards).shardId(), response.records().get(i).shardId(),
                    "shard of key " + key);
        }
        String single = "single-key";
        assertEquals(Shards.shardFor(Shards.hashKey(single), shards).shardId(),
                client.putRecord(b -> b.streamName(STREAM).partitionKey(single).data(SdkBytes.fromUtf8String("s")))
                        .shardId());
    }

    @Test
    void explicitHashKeyOverridesThePartitionKey() {
        String key = "explicit";
        String keyShard = Shards.shardFor(Shards.hashKey(key), shards).shardId();
        for (Shard shard : shards) {
            for (String hashKey : List.of(shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey())) {
                String landed = client.putRecord(b -> b.streamName(STREAM).partitionKey(key).explicitHashKey(hashKey)
                        .data(SdkBytes.fromUtf8String("e"))).shardId();
                assertEquals(shard.shardId(), landed, "explicit hash key " + hashKey);
            }
        }
        Shard other = shards.stream().filter(s -> !s.shardId().equals(keyShard)).findFirst().orElseThrow();
        PutRecordsResponse batch = client.putRecords(b -> b.streamName(STREAM).records(
                PutRecordsRequestEntry.builder().partitionKey(key).explicitHashKey(other.hashKeyRange().startingHashKey())
                        .data(SdkBytes.fromUtf8String("e")).build(),
                PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("p")).build()));
        assertEquals(other.shardId(), batch.records().get(0).shardId());
        assertEquals(keyShard, batch.records().get(1).shardId());
        assertNotEquals(batch.records().get(0).shardId(), batch.records().get(1).shardId());
    }

    @Test
    void hashKeyOfTwoTo128OrMoreIsRejectedAndChangesNothing() {
        long before = totalRecords();
        for (BigInteger bad : List.of(BigInteger.TWO.pow(128), BigInteger.TWO.pow(128).add(BigInteger.TEN),
                BigInteger.TWO.pow(129))) {
            KinesisException e = assertThrows(KinesisException.class, () -> client.putRecord(b -> b.streamName(STREAM)
                    .partitionKey("k").explicitHashKey(bad.toString()).data(SdkBytes.fromUtf8String("bad"))));
            assertRejection(e, bad);
        }
        // In PutRecords a bad explicit hash key either fails the call or that entry; it is never stored.
        int stored;
        try {
            PutRecordsResponse response = client.putRecords(b -> b.streamName(STREAM).records(
                    PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromUtf8String("good")).build(),
                    PutRecordsRequestEntry.builder().partitionKey("k").explicitHashKey(BigInteger.TWO.pow(128).toString())
                            .data(SdkBytes.fromUtf8String("bad")).build()));
            assertTrue(response.records().get(1).errorCode() != null, "entry with hash key 2^128 was accepted");
            stored = response.records().get(0).errorCode() == null ? 1 : 0;
        } catch (KinesisException e) {
            assertRejection(e, BigInteger.TWO.pow(128));
            stored = 0;
        }
        assertEquals(before + stored, totalRecords());
        // The largest legal hash key is accepted and lands on the last shard.
        assertEquals(shards.get(shards.size() - 1).shardId(), client.putRecord(b -> b.streamName(STREAM)
                .partitionKey("k").explicitHashKey(Shards.MAX_HASH_KEY.toString())
                .data(SdkBytes.fromUtf8String("max"))).shardId());
    }

    private static void assertRejection(KinesisException e, BigInteger hashKey) {
        assertEquals(400, e.statusCode(), "status for hash key " + hashKey);
        assertTrue(Set.of("InvalidArgumentException", "ValidationException")
                .contains(e.awsErrorDetails().errorCode()), "error for hash key " + hashKey + ": " + e);
    }

    private long totalRecords() {
        return shards.stream().mapToLong(s -> Shards.readShard(client, STREAM, s.shardId()).size()).sum();
    }
}
