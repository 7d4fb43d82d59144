package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shard iterators are tamper-evident and expire after five minutes of the server's (injected) clock. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShardIteratorTest {

    private static final String STREAM = "iterators";
    private final MutableClock clock = MutableClock.atWallClockSecond();
    private EddyFixture eddy;
    private KinesisClient client;
    private String shardId;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(clock);
        client = SdkClients.syncCbor(eddy.endpoint());
        client.createStream(b -> b.streamName(STREAM).shardCount(1));
        try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(STREAM));
        }
        shardId = client.listShards(b -> b.streamName(STREAM)).shards().get(0).shardId();
        client.putRecord(b -> b.streamName(STREAM).partitionKey("k").data(SdkBytes.fromUtf8String("one")));
    }

    @AfterAll
    void stop() {
        client.close();
        eddy.close();
    }

    private String trimHorizon() {
        return client.getShardIterator(b -> b.streamName(STREAM).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    }

    @Test
    void tamperedIteratorIsRejected() {
        String iterator = trimHorizon();
        assertEquals(List.of("one"), Shards.texts(client.getRecords(b -> b.shardIterator(iterator)).records()));
        for (int position : new int[] {iterator.length() / 2, iterator.length() / 3, 2 * iterator.length() / 3}) {
            char[] chars = iterator.toCharArray();
            chars[position] = chars[position] == 'A' ? 'B' : 'A';
            String tampered = new String(chars);
            assertThrows(InvalidArgumentException.class, () -> client.getRecords(b -> b.shardIterator(tampered)),
                    "iterator changed at " + position);
        }
        String truncated = iterator.substring(0, iterator.length() - 4);
        assertThrows(InvalidArgumentException.class, () -> client.getRecords(b -> b.shardIterator(truncated)));
        assertThrows(InvalidArgumentException.class, () -> client.getRecords(b -> b.shardIterator("not-an-iterator")));
    }

    @Test
    void iteratorExpiresAfterFiveMinutes() {
        String iterator = trimHorizon();
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        GetRecordsResponse stillValid = client.getRecords(b -> b.shardIterator(iterator));
        assertEquals(List.of("one"), Shards.texts(stillValid.records()));

        clock.advance(Duration.ofSeconds(2));
        assertThrows(ExpiredIteratorException.class, () -> client.getRecords(b -> b.shardIterator(iterator)));
        // The next iterator handed out a moment ago is young and still works.
        assertEquals(List.of(), client.getRecords(b -> b.shardIterator(stillValid.nextShardIterator())).records());

        clock.advance(Duration.ofHours(1));
        assertThrows(ExpiredIteratorException.class,
                () -> client.getRecords(b -> b.shardIterator(stillValid.nextShardIterator())));
    }
}
