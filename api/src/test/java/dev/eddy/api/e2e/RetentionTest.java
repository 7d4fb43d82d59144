package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention with the AWS SDK v2 (CBOR and JSON): IncreaseStreamRetentionPeriod / DecreaseStreamRetentionPeriod,
 * Kinesis's errors, and records past the period unreadable at the boundary (the server's clock is injected).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetentionTest {

    private final MutableClock clock = MutableClock.atWallClockSecond();
    private EddyFixture eddy;
    private KinesisClient cbor;
    private KinesisClient json;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(clock);
        cbor = SdkClients.syncCbor(eddy.endpoint());
        json = SdkClients.syncJson(eddy.endpoint());
    }

    @AfterAll
    void stop() {
        cbor.close();
        json.close();
        eddy.close();
    }

    private void create(String stream) {
        cbor.createStream(b -> b.streamName(stream).shardCount(1));
        try (KinesisWaiter waiter = KinesisWaiter.builder().client(cbor)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(stream));
        }
    }

    private void put(String stream, String text) {
        cbor.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String(text)));
    }

    private List<String> readAll(KinesisClient client, String stream) {
        String shardId = client.listShards(b -> b.streamName(stream)).shards().get(0).shardId();
        String iterator = client.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        return Shards.texts(client.getRecords(b -> b.shardIterator(iterator)).records());
    }

    private int retention(KinesisClient client, String stream) {
        return client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
                .retentionPeriodHours();
    }

    @Test
    void recordsPastTheRetentionPeriodAreUnreadable() {
        create("expiring");
        assertEquals(24, retention(cbor, "expiring"));
        put("expiring", "old");
        clock.advance(Duration.ofHours(23));
        put("expiring", "newer");
        assertEquals(List.of("old", "newer"), readAll(cbor, "expiring"));
        clock.advance(Duration.ofHours(1).plusSeconds(1));
        assertEquals(List.of("newer"), readAll(cbor, "expiring"), "TRIM_HORIZON moved past the expired record");
        assertEquals(List.of("newer"), readAll(json, "expiring"));
        clock.advance(Duration.ofHours(24));
        assertEquals(List.of(), readAll(cbor, "expiring"));
        put("expiring", "fresh");
        assertEquals(List.of("fresh"), readAll(cbor, "expiring"));
    }

    @Test
    void increasingKeepsRecordsLongerButNeverBringsExpiredOnesBack() {
        create("longer");
        put("longer", "a");
        clock.advance(Duration.ofHours(25));
        put("longer", "b");
        cbor.increaseStreamRetentionPeriod(b -> b.streamName("longer").retentionPeriodHours(168));
        assertEquals(168, retention(json, "longer"));
        assertEquals(List.of("b"), readAll(cbor, "longer"), "expired under 24 h, stays expired");
        clock.advance(Duration.ofHours(100));
        assertEquals(List.of("b"), readAll(cbor, "longer"), "kept for 168 h now");
        json.decreaseStreamRetentionPeriod(b -> b.streamARN(cbor.describeStreamSummary(d -> d.streamName("longer"))
                .streamDescriptionSummary().streamARN()).retentionPeriodHours(48));
        assertEquals(48, retention(cbor, "longer"));
        assertEquals(List.of(), readAll(cbor, "longer"), "100 h old: past the shorter period at once");
    }

    @Test
    void badRetentionChangesAreRefusedWithKinesisErrorsAndChangeNothing() {
        create("strict");
        InvalidArgumentException tooShort = assertThrows(InvalidArgumentException.class,
                () -> cbor.decreaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(23)));
        assertTrue(tooShort.awsErrorDetails().errorMessage().contains("Minimum allowed retention period is 24 hours"),
                tooShort.getMessage());
        InvalidArgumentException tooLong = assertThrows(InvalidArgumentException.class,
                () -> json.increaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(8761)));
        assertTrue(tooLong.awsErrorDetails().errorMessage().contains("Maximum allowed retention period is 8760 hours"),
                tooLong.getMessage());
        cbor.increaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(8760));
        InvalidArgumentException shorter = assertThrows(InvalidArgumentException.class,
                () -> cbor.increaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(100)));
        assertTrue(shorter.awsErrorDetails().errorMessage().contains("Use DecreaseRetentionPeriod API"));
        cbor.decreaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(72));
        InvalidArgumentException longer = assertThrows(InvalidArgumentException.class,
                () -> cbor.decreaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(100)));
        assertTrue(longer.awsErrorDetails().errorMessage().contains("Use IncreaseRetentionPeriod API"));
        assertEquals(72, retention(cbor, "strict"));
        cbor.increaseStreamRetentionPeriod(b -> b.streamName("strict").retentionPeriodHours(72));
        assertEquals(72, retention(cbor, "strict"));
        assertThrows(ResourceNotFoundException.class,
                () -> cbor.increaseStreamRetentionPeriod(b -> b.streamName("missing").retentionPeriodHours(48)));
    }
}
