package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AT_TIMESTAMP and ApproximateArrivalTimestamp in both encodings: CBOR carries epoch milliseconds, JSON
 * epoch seconds with a fraction. Arrival times come from an injected clock, so they are known exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArrivalTimestampTest {

    private final MutableClock clock = MutableClock.atWallClockSecond();
    private EddyFixture eddy;
    private KinesisClient cbor;
    private KinesisClient json;
    private final SdkClients.WireCapture jsonWire = new SdkClients.WireCapture();

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(clock);
        cbor = SdkClients.syncCbor(eddy.endpoint());
        json = SdkClients.syncJson(eddy.endpoint(), jsonWire);
    }

    @AfterAll
    void stop() {
        cbor.close();
        json.close();
        eddy.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cbor", "json"})
    void atTimestampAndArrivalTimestamps(String protocol) {
        KinesisClient client = protocol.equals("cbor") ? cbor : json;
        String stream = "timestamps-" + protocol;
        client.createStream(b -> b.streamName(stream).shardCount(1));
        try (var waiter = software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter.builder().client(client)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(stream));
        }
        String shardId = client.listShards(b -> b.streamName(stream)).shards().get(0).shardId();

        Instant base = Instant.ofEpochSecond(clock.instant().getEpochSecond() + 10);
        Instant ta = base.plusMillis(123);
        Instant tb = base.plusMillis(1456);
        Instant tc = base.plusMillis(2789);
        put(client, stream, ta, "a");
        put(client, stream, tb, "b");
        put(client, stream, tc, "c");

        List<Record> all = Shards.readShard(client, stream, shardId);
        assertEquals(List.of("a", "b", "c"), Shards.texts(all));
        assertEquals(List.of(ta, tb, tc), all.stream().map(Record::approximateArrivalTimestamp).toList(),
                "arrival timestamps read back to the millisecond");

        assertEquals(List.of("a", "b", "c"), atTimestamp(client, stream, shardId, base));
        assertEquals(List.of("b", "c"), atTimestamp(client, stream, shardId, tb.minusMillis(1)));
        assertEquals(List.of("b", "c"), atTimestamp(client, stream, shardId, tb));
        assertEquals(List.of("c"), atTimestamp(client, stream, shardId, tb.plusMillis(1)));
        assertEquals(List.of("c"), atTimestamp(client, stream, shardId, tc));

        // Past the newest record: an iterator that yields nothing, promptly, and later sees new records.
        clock.set(tc.plusSeconds(5));
        Instant pastNewest = tc.plusMillis(1);
        String iterator = client.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(pastNewest)).shardIterator();
        GetRecordsResponse empty = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> client.getRecords(b -> b.shardIterator(iterator)));
        assertTrue(empty.records().isEmpty(), "past the newest record: " + empty.records());
        assertNotNull(empty.nextShardIterator());
        Instant td = clock.instant();
        put(client, stream, td, "d");
        GetRecordsResponse next = client.getRecords(b -> b.shardIterator(empty.nextShardIterator()));
        assertEquals(List.of("d"), Shards.texts(next.records()));
        assertEquals(td, next.records().get(0).approximateArrivalTimestamp());

        if (protocol.equals("json")) {
            jsonWire.requestContentTypes.forEach(t -> assertEquals("application/x-amz-json-1.1", t));
        }
        client.deleteStream(b -> b.streamName(stream));
    }

    private void put(KinesisClient client, String stream, Instant at, String data) {
        clock.set(at);
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String(data)));
    }

    private static List<String> atTimestamp(KinesisClient client, String stream, String shardId, Instant at) {
        String iterator = client.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(at)).shardIterator();
        return Shards.texts(Shards.readAll(client, iterator));
    }
}
