package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole stream lifecycle through one kind of real SDK client: create, the SDK's own waiter, describe and
 * list, put, read from every iterator type, delete and the waiter for its disappearance. Subclasses pick the
 * client (CBOR, JSON, HTTP/2) and check that the wire really carried what they claim.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractLifecycleTest {

    protected final MutableClock clock = MutableClock.atWallClockSecond();
    protected EddyFixture eddy;
    private KinesisClient client;

    /** The client under test, for the server at {@code eddy.endpoint()}. */
    protected abstract KinesisClient createClient();

    /** The SDK's {@code waitUntilStreamExists} waiter of the client under test (sync clients by default). */
    protected void waitUntilStreamExists(String stream) {
        try (var waiter = KinesisWaiter.builder().client(client).overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(stream)).matched().response().orElseThrow();
        }
    }

    /** The SDK's {@code waitUntilStreamNotExists} waiter of the client under test (sync clients by default). */
    protected void waitUntilStreamNotExists(String stream) {
        try (var waiter = KinesisWaiter.builder().client(client).overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamNotExists(b -> b.streamName(stream)).matched().exception().orElseThrow();
        }
    }

    /** Asserts that the requests went over the wire the way the subclass claims. */
    protected abstract void assertWire();

    /** The name of the stream this variant creates. */
    protected abstract String streamName();

    @BeforeAll
    void startServer() {
        eddy = EddyFixture.start(clock);
        client = createClient();
    }

    @AfterAll
    void stopServer() {
        if (client != null) {
            client.close();
        }
        if (eddy != null) {
            eddy.close();
        }
    }

    @Test
    void wholeLifecycle() {
        String stream = streamName();
        String key = "lifecycle-key";
        client.createStream(b -> b.streamName(stream).shardCount(2));
        waitUntilStreamExists(stream);

        DescribeStreamResponse described = client.describeStream(b -> b.streamName(stream));
        assertEquals(StreamStatus.ACTIVE, described.streamDescription().streamStatus());
        assertEquals(stream, described.streamDescription().streamName());
        String arn = described.streamDescription().streamARN();
        assertTrue(arn.startsWith("arn:aws:kinesis:us-east-1:") && arn.endsWith(":stream/" + stream), arn);
        List<Shard> shards = described.streamDescription().shards();
        assertEquals(2, shards.size());
        assertEquals(BigInteger.ZERO, new BigInteger(shards.get(0).hashKeyRange().startingHashKey()));
        assertEquals(Shards.MAX_HASH_KEY, new BigInteger(shards.get(1).hashKeyRange().endingHashKey()));
        assertEquals(new BigInteger(shards.get(0).hashKeyRange().endingHashKey()).add(BigInteger.ONE),
                new BigInteger(shards.get(1).hashKeyRange().startingHashKey()), "ranges are contiguous");
        shards.forEach(s -> {
            assertTrue(s.shardId().matches("shardId-\\d{12}"), s.shardId());
            assertNotNull(s.sequenceNumberRange().startingSequenceNumber());
        });

        DescribeStreamSummaryResponse summary = client.describeStreamSummary(b -> b.streamARN(arn));
        assertEquals(StreamStatus.ACTIVE, summary.streamDescriptionSummary().streamStatus());
        assertEquals(2, summary.streamDescriptionSummary().openShardCount());
        assertEquals(stream, summary.streamDescriptionSummary().streamName());

        ListStreamsResponse listed = client.listStreams();
        assertTrue(listed.streamNames().contains(stream), listed.streamNames().toString());
        assertTrue(listed.streamSummaries().stream().anyMatch(s -> s.streamName().equals(stream)
                && s.streamARN().equals(arn)), listed.streamSummaries().toString());

        assertEquals(shards.stream().map(Shard::shardId).toList(),
                client.listShards(b -> b.streamName(stream)).shards().stream().map(Shard::shardId).toList());
        assertEquals(shards.stream().map(Shard::shardId).toList(),
                client.listShards(b -> b.streamARN(arn)).shards().stream().map(Shard::shardId).toList());

        Shard shard = Shards.shardFor(Shards.hashKey(key), shards);
        Shard otherShard = shards.stream().filter(s -> !s.equals(shard)).findFirst().orElseThrow();
        String latestBeforePuts = iterator(stream, shard.shardId(), b -> b.shardIteratorType(ShardIteratorType.LATEST));

        Instant t0 = clock.instant();
        PutRecordResponse r0 = client.putRecord(b -> b.streamName(stream).partitionKey(key)
                .data(SdkBytes.fromUtf8String("r0")));
        assertEquals(shard.shardId(), r0.shardId());

        Instant t1 = clock.advance(Duration.ofMillis(1500));
        PutRecordsResponse batch = client.putRecords(b -> b.streamName(stream).records(
                PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("r1")).build(),
                PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("r2")).build()));
        assertEquals(0, batch.failedRecordCount());
        assertEquals(2, batch.records().size());
        for (PutRecordsResultEntry e : batch.records()) {
            assertEquals(shard.shardId(), e.shardId());
        }
        String seq0 = r0.sequenceNumber();
        String seq1 = batch.records().get(0).sequenceNumber();
        String seq2 = batch.records().get(1).sequenceNumber();

        Instant t2 = clock.advance(Duration.ofMillis(1500));
        PutRecordResponse r3 = client.putRecord(b -> b.streamARN(arn).partitionKey(key)
                .sequenceNumberForOrdering(seq2).data(SdkBytes.fromUtf8String("r3")));
        String seq3 = r3.sequenceNumber();
        assertIncreasing(seq0, seq1, seq2, seq3);

        List<Record> all = read(stream, shard.shardId(), b -> b.shardIteratorType(ShardIteratorType.TRIM_HORIZON));
        assertEquals(List.of("r0", "r1", "r2", "r3"), Shards.texts(all));
        assertEquals(List.of(seq0, seq1, seq2, seq3), all.stream().map(Record::sequenceNumber).toList());
        assertEquals(List.of(t0, t1, t1, t2), all.stream().map(Record::approximateArrivalTimestamp).toList());
        all.forEach(r -> assertEquals(key, r.partitionKey()));

        assertEquals(List.of("r0", "r1", "r2", "r3"), Shards.texts(Shards.readAll(client, latestBeforePuts)),
                "LATEST taken before the puts sees them");
        assertEquals(List.of(), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.LATEST))), "LATEST after the puts sees nothing");
        assertEquals(List.of("r1", "r2", "r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER).startingSequenceNumber(seq1))));
        assertEquals(List.of("r2", "r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(seq1))));
        assertEquals(List.of("r0", "r1", "r2", "r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(t0.minusSeconds(10)))));
        assertEquals(List.of("r1", "r2", "r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(t1))));
        assertEquals(List.of("r1", "r2", "r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(t0.plusMillis(500)))));
        assertEquals(List.of("r3"), Shards.texts(read(stream, shard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(t2))));
        assertEquals(List.of(), Shards.texts(read(stream, otherShard.shardId(),
                b -> b.shardIteratorType(ShardIteratorType.TRIM_HORIZON))));

        var tip = client.getRecords(b -> b.shardIterator(
                iterator(stream, shard.shardId(), i -> i.shardIteratorType(ShardIteratorType.TRIM_HORIZON))));
        assertEquals(4, tip.records().size());
        assertNotNull(tip.nextShardIterator());
        assertEquals(0L, tip.millisBehindLatest());

        client.deleteStream(b -> b.streamName(stream));
        waitUntilStreamNotExists(stream);
        assertThrows(ResourceNotFoundException.class, () -> client.describeStream(b -> b.streamName(stream)));
        assertFalse(client.listStreams().streamNames().contains(stream));

        assertWire();
    }

    private String iterator(String stream, String shardId,
                            Consumer<software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest.Builder> type) {
        return client.getShardIterator(b -> type.accept(b.streamName(stream).shardId(shardId))).shardIterator();
    }

    private List<Record> read(String stream, String shardId,
                              Consumer<software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest.Builder> type) {
        return Shards.readAll(client, iterator(stream, shardId, type));
    }

    static void assertIncreasing(String... sequenceNumbers) {
        for (int i = 1; i < sequenceNumbers.length; i++) {
            assertTrue(new BigInteger(sequenceNumbers[i - 1]).compareTo(new BigInteger(sequenceNumbers[i])) < 0,
                    "sequence numbers must increase: " + String.join(", ", sequenceNumbers));
        }
    }
}
