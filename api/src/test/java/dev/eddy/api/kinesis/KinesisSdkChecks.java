package dev.eddy.api.kinesis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescription;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validation and error behaviour over the wire with the real AWS SDK for Java v2; subclasses pick CBOR or
 * JSON. Every rejected call is checked to change nothing.
 */
abstract class KinesisSdkChecks {

    static final int MIB = 1024 * 1024;

    abstract ServerFixture fixture();

    abstract String expectedContentType();

    KinesisClient kinesis() {
        return fixture().kinesis;
    }

    /** Creates an ACTIVE stream with the given shard count. */
    String newStream(int shards) {
        String name = "s-" + UUID.randomUUID();
        kinesis().createStream(b -> b.streamName(name).shardCount(shards));
        for (int i = 0; i < 200; i++) {
            if (kinesis().describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary().streamStatus()
                    == StreamStatus.ACTIVE) {
                return name;
            }
            sleep(25);
        }
        throw new AssertionError("stream " + name + " never became ACTIVE");
    }

    /** Every record of the stream, shard by shard, from TRIM_HORIZON. */
    List<Record> readAll(String stream) {
        List<Record> all = new ArrayList<>();
        for (Shard shard : kinesis().listShards(b -> b.streamName(stream)).shards()) {
            String iterator = kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            while (true) {
                String it = iterator;
                GetRecordsResponse page = kinesis().getRecords(b -> b.shardIterator(it));
                all.addAll(page.records());
                if (page.records().isEmpty() || page.nextShardIterator() == null) {
                    break;
                }
                iterator = page.nextShardIterator();
            }
        }
        return all;
    }

    static KinesisException rejected(String type, Executable call) {
        KinesisException e = assertThrows(KinesisException.class, call);
        assertEquals(type, e.awsErrorDetails().errorCode(), e.getMessage());
        assertEquals(type.equals("InternalFailure") ? 500 : 400, e.statusCode());
        assertNotNull(e.requestId(), "x-amzn-RequestId");
        return e;
    }

    static SdkBytes bytes(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) i;
        }
        return SdkBytes.fromByteArrayUnsafe(data);
    }

    @Test
    void clientUsesTheExpectedWireFormat() {
        kinesis().listStreams();
        assertEquals(expectedContentType(), fixture().lastContentType.get());
    }

    @Test
    void putAndGetRoundTripsDataAndTimestamps() {
        String stream = newStream(2);
        Instant before = Instant.now().minusSeconds(1);
        byte[] data = "hello, eddy".getBytes(StandardCharsets.UTF_8);
        PutRecordResponse put = kinesis().putRecord(b -> b.streamName(stream).partitionKey("k")
                .data(SdkBytes.fromByteArray(data)));
        assertNotNull(put.sequenceNumber());
        assertEquals("NONE", put.encryptionTypeAsString());
        kinesis().putRecord(b -> b.streamName(stream).partitionKey("empty").data(SdkBytes.fromByteArray(new byte[0])));
        List<Record> records = readAll(stream);
        assertEquals(2, records.size());
        Record first = records.stream().filter(r -> r.partitionKey().equals("k")).findFirst().orElseThrow();
        assertArrayEquals(data, first.data().asByteArray());
        assertEquals(put.sequenceNumber(), first.sequenceNumber());
        Instant arrival = first.approximateArrivalTimestamp();
        assertTrue(!arrival.isBefore(before) && arrival.isBefore(Instant.now().plusSeconds(1)), arrival.toString());
        Instant created = kinesis().describeStream(b -> b.streamName(stream)).streamDescription()
                .streamCreationTimestamp();
        assertTrue(Duration.between(created, Instant.now()).abs().toMinutes() < 1, created.toString());
        assertEquals(0, records.stream().filter(r -> r.partitionKey().equals("empty")).findFirst().orElseThrow()
                .data().asByteArray().length);
    }

    @Test
    void atTimestampFindsRecordsByArrivalTime() {
        String stream = newStream(1);
        kinesis().putRecord(b -> b.streamName(stream).partitionKey("a").data(bytes(3)));
        Record first = readAll(stream).get(0);
        String shard = kinesis().listShards(b -> b.streamName(stream)).shards().get(0).shardId();
        String at = kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(first.approximateArrivalTimestamp())).shardIterator();
        assertEquals(1, kinesis().getRecords(b -> b.shardIterator(at)).records().size());
        String later = kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(first.approximateArrivalTimestamp().plusSeconds(60))).shardIterator();
        assertEquals(0, kinesis().getRecords(b -> b.shardIterator(later)).records().size());
    }

    @Test
    void oversizedRecordsAreRejectedAndChangeNothing() {
        String stream = newStream(1);
        KinesisException tooBig = rejected("ValidationException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("k").data(bytes(MIB + 1))));
        assertTrue(tooBig.awsErrorDetails().errorMessage().contains(
                "at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576"),
                tooBig.awsErrorDetails().errorMessage());
        rejected("InvalidArgumentException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("k").data(bytes(MIB))));
        rejected("ValidationException", () -> kinesis().putRecords(b -> b.streamName(stream)
                .records(PutRecordsRequestEntry.builder().partitionKey("k").data(bytes(MIB + 1)).build())));
        rejected("InvalidArgumentException", () -> kinesis().putRecords(b -> b.streamName(stream)
                .records(PutRecordsRequestEntry.builder().partitionKey("kk").data(bytes(MIB - 1)).build())));
        PutRecordsRequestEntry nearlyOneMib = PutRecordsRequestEntry.builder().partitionKey("k")
                .data(bytes(MIB - 1)).build();
        KinesisException total = rejected("InvalidArgumentException", () -> kinesis().putRecords(b -> b
                .streamName(stream).records(Collections.nCopies(6, nearlyOneMib))));
        assertTrue(total.awsErrorDetails().errorMessage().startsWith("Records size exceeds 5 MB limit"));
        // The exact limits are accepted.
        kinesis().putRecord(b -> b.streamName(stream).partitionKey("k").data(bytes(MIB - 1)));
        kinesis().putRecords(b -> b.streamName(stream).records(Collections.nCopies(5, nearlyOneMib)));
        assertEquals(6, readAll(stream).size());
    }

    @Test
    void partitionKeyLengthAndBatchSizeAreValidated() {
        String stream = newStream(1);
        KinesisException empty = rejected("ValidationException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("").data(bytes(1))));
        assertEquals("1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 1", empty.awsErrorDetails().errorMessage());
        rejected("ValidationException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("x".repeat(257)).data(bytes(1))));
        rejected("ValidationException", () -> kinesis().putRecords(b -> b.streamName(stream)
                .records(PutRecordsRequestEntry.builder().partitionKey("x".repeat(257)).data(bytes(1)).build())));
        rejected("ValidationException", () -> kinesis().putRecords(b -> b.streamName(stream)
                .records(new ArrayList<>())));
        PutRecordsRequestEntry small = PutRecordsRequestEntry.builder().partitionKey("k").data(bytes(1)).build();
        KinesisException many = rejected("ValidationException", () -> kinesis().putRecords(b -> b.streamName(stream)
                .records(Collections.nCopies(501, small))));
        assertTrue(many.awsErrorDetails().errorMessage().contains(
                "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"));
        kinesis().putRecord(b -> b.streamName(stream).partitionKey("x".repeat(256)).data(bytes(1)));
        PutRecordsResponse ok = kinesis().putRecords(b -> b.streamName(stream).records(Collections.nCopies(500, small)));
        assertEquals(0, ok.failedRecordCount());
        assertEquals(500, ok.records().size());
        assertEquals(501, readAll(stream).size());
    }

    @Test
    void explicitHashKeyMustBeBelowTwoToThe128() {
        String stream = newStream(2);
        String limit = BigInteger.ONE.shiftLeft(128).toString();
        KinesisException e = rejected("InvalidArgumentException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("k").explicitHashKey(limit).data(bytes(1))));
        assertTrue(e.awsErrorDetails().errorMessage().contains("[0, 2^128-1]"));
        rejected("ValidationException", () -> kinesis().putRecord(b -> b.streamName(stream)
                .partitionKey("k").explicitHashKey("-1").data(bytes(1))));
        assertEquals(0, readAll(stream).size());
        String max = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE).toString();
        PutRecordResponse last = kinesis().putRecord(b -> b.streamName(stream).partitionKey("k")
                .explicitHashKey(max).data(bytes(1)));
        assertEquals("shardId-000000000001", last.shardId());
        PutRecordResponse first = kinesis().putRecord(b -> b.streamName(stream).partitionKey("k")
                .explicitHashKey("0").data(bytes(1)));
        assertEquals("shardId-000000000000", first.shardId());
    }

    @Test
    void getRecordsLimitIsValidated() {
        String stream = newStream(1);
        String shard = kinesis().listShards(b -> b.streamName(stream)).shards().get(0).shardId();
        String iterator = kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        rejected("ValidationException", () -> kinesis().getRecords(b -> b.shardIterator(iterator).limit(0)));
        KinesisException high = rejected("ValidationException",
                () -> kinesis().getRecords(b -> b.shardIterator(iterator).limit(10_001)));
        assertEquals("1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
                + "Member must have value less than or equal to 10000", high.awsErrorDetails().errorMessage());
        assertEquals(0, kinesis().getRecords(b -> b.shardIterator(iterator).limit(10_000)).records().size());
        rejected("InvalidArgumentException", () -> kinesis().getRecords(b -> b.shardIterator("not-an-iterator")));
    }

    @Test
    void streamNamesAndShardCountsAreValidated() {
        KinesisException bad = rejected("ValidationException",
                () -> kinesis().createStream(b -> b.streamName("bad name!").shardCount(1)));
        assertEquals("1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
                + "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", bad.awsErrorDetails().errorMessage());
        String tooLong = "a".repeat(129);
        rejected("ValidationException", () -> kinesis().createStream(b -> b.streamName(tooLong).shardCount(1)));
        KinesisException two = rejected("ValidationException",
                () -> kinesis().createStream(b -> b.streamName("").shardCount(0)));
        assertTrue(two.awsErrorDetails().errorMessage().startsWith("3 validation errors detected: "),
                two.awsErrorDetails().errorMessage());
        rejected("ValidationException", () -> kinesis().createStream(b -> b.streamName("zero-shards").shardCount(0)));
        rejected("ValidationException", () -> kinesis().describeStream(b -> b.streamName("bad/name")));
        List<String> names = kinesis().listStreams().streamNames();
        assertFalse(names.contains("zero-shards"));
        assertFalse(names.contains(tooLong));
        rejected("ResourceNotFoundException", () -> kinesis().describeStream(b -> b.streamName("no-such-stream")));
    }

    @Test
    void streamArnIsAcceptedWhereKinesisTakesIt() {
        String stream = newStream(1);
        StreamDescription d = kinesis().describeStream(b -> b.streamName(stream)).streamDescription();
        assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/" + stream, d.streamARN());
        kinesis().putRecord(b -> b.streamARN(d.streamARN()).partitionKey("k").data(bytes(2)));
        assertEquals(stream, kinesis().describeStreamSummary(b -> b.streamARN(d.streamARN()))
                .streamDescriptionSummary().streamName());
        assertEquals(1, kinesis().listShards(b -> b.streamARN(d.streamARN())).shards().size());
        rejected("InvalidArgumentException", () -> kinesis().describeStream(b -> b.streamARN(d.streamARN())
                .streamName("other")));
        rejected("ValidationException", () -> kinesis().describeStream(b -> b.streamARN("arn:nope")));
    }

    @Test
    void listShardsPagesAndFilters() {
        String stream = newStream(3);
        ListShardsResponse first = kinesis().listShards(b -> b.streamName(stream).maxResults(2));
        assertEquals(2, first.shards().size());
        assertNotNull(first.nextToken());
        ListShardsResponse second = kinesis().listShards(b -> b.nextToken(first.nextToken()));
        assertEquals(List.of("shardId-000000000002"), second.shards().stream().map(Shard::shardId).toList());
        assertNull(second.nextToken());
        rejected("InvalidArgumentException", () -> kinesis().listShards(b -> b.nextToken(first.nextToken())
                .streamName(stream)));
        rejected("InvalidArgumentException", () -> kinesis().listShards(b -> b.nextToken("garbage")));
        rejected("InvalidArgumentException", () -> kinesis().listShards(b -> { }));
        assertEquals(2, kinesis().listShards(b -> b.streamName(stream).exclusiveStartShardId("shardId-000000000000"))
                .shards().size());
        assertEquals(List.of("shardId-000000000002"), kinesis().listShards(b -> b.streamName(stream)
                .shardFilter(f -> f.type(ShardFilterType.AFTER_SHARD_ID).shardId("shardId-000000000001")))
                .shards().stream().map(Shard::shardId).toList());
        for (ShardFilterType type : List.of(ShardFilterType.AT_TRIM_HORIZON, ShardFilterType.FROM_TRIM_HORIZON,
                ShardFilterType.AT_LATEST)) {
            assertEquals(3, kinesis().listShards(b -> b.streamName(stream).shardFilter(f -> f.type(type)))
                    .shards().size(), type.toString());
        }
        for (ShardFilterType type : List.of(ShardFilterType.AT_TIMESTAMP, ShardFilterType.FROM_TIMESTAMP)) {
            assertEquals(3, kinesis().listShards(b -> b.streamName(stream)
                    .shardFilter(f -> f.type(type).timestamp(Instant.now()))).shards().size(), type.toString());
            rejected("InvalidArgumentException", () -> kinesis().listShards(b -> b.streamName(stream)
                    .shardFilter(f -> f.type(type))));
        }
        rejected("InvalidArgumentException", () -> kinesis().listShards(b -> b.streamName(stream)
                .shardFilter(f -> f.type(ShardFilterType.AFTER_SHARD_ID))));
        rejected("ValidationException", () -> kinesis().listShards(b -> b.streamName(stream).maxResults(0)));
    }

    @Test
    void describeAndListStreamsPage() {
        String stream = newStream(3);
        StreamDescription d = kinesis().describeStream(b -> b.streamName(stream).limit(2)).streamDescription();
        assertEquals(2, d.shards().size());
        assertTrue(d.hasMoreShards());
        StreamDescription rest = kinesis().describeStream(b -> b.streamName(stream)
                .exclusiveStartShardId(d.shards().get(1).shardId())).streamDescription();
        assertEquals(1, rest.shards().size());
        assertFalse(rest.hasMoreShards());
        newStream(1);
        var page = kinesis().listStreams(b -> b.limit(1));
        assertEquals(1, page.streamNames().size());
        assertEquals(1, page.streamSummaries().size());
        assertTrue(page.hasMoreStreams());
        var next = kinesis().listStreams(b -> b.nextToken(page.nextToken()).limit(1));
        assertEquals(1, next.streamNames().size());
        assertTrue(next.streamNames().get(0).compareTo(page.streamNames().get(0)) > 0);
    }

    @Test
    void getShardIteratorArgumentsAreChecked() {
        String stream = newStream(1);
        rejected("InvalidArgumentException", () -> kinesis().getShardIterator(b -> b.streamName(stream)
                .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)));
        rejected("InvalidArgumentException", () -> kinesis().getShardIterator(b -> b.streamName(stream)
                .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.AT_TIMESTAMP)));
        rejected("ValidationException", () -> kinesis().getShardIterator(b -> b.streamName(stream)
                .shardId("shardId-000000000000").shardIteratorType("SOMEWHERE")));
        rejected("ResourceNotFoundException", () -> kinesis().getShardIterator(b -> b.streamName(stream)
                .shardId("shardId-000000000009").shardIteratorType(ShardIteratorType.LATEST)));
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
