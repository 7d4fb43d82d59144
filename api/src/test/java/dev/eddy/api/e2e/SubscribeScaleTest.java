package dev.eddy.api.e2e;

import dev.eddy.api.TestBackends;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance scale: two subscribers (the Vert.x client and {@code java.net.http.WebSocket}) start at
 * TRIM_HORIZON over 100,000 stored events while about 1,000 events/s are appended, and each receives every
 * event exactly once, in order per shard and per key. Runs on every backend (well under a minute each).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscribeScaleTest extends AbstractSdkTest {

    private static final int EXISTING = 100_000;
    /** 30 batches of 100, one every 100 ms: ~1,000 events/s for ~3 s while the subscribers catch up. */
    private static final int LIVE_BATCHES = 30;
    private static final int LIVE_BATCH = 100;
    private static final int KEYS = 1000;
    private static final Duration WAIT = Duration.ofSeconds(180);

    /** Puts events {@code from..to-1} in one PutRecords call: key {@code agg-(i % KEYS)}, data {@code {"n": i}}. */
    private void put(String stream, int from, int to) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            entries.add(PutRecordsRequestEntry.builder().partitionKey("agg-" + (i % KEYS))
                    .data(SdkBytes.fromUtf8String("{\"n\":" + i + "}")).build());
        }
        PutRecordsResponse response = client.putRecords(b -> b.streamName(stream).records(entries));
        assertEquals(0, response.failedRecordCount(), "failed entries in " + from + ".." + to);
    }

    @Test
    void twoClientsCatchUpOver100kEventsWhileLiveAppendsArriveExactlyOnceInOrder() throws Exception {
        String stream = "scale-catchup";
        Shards.createStream(client, stream, 4);
        for (int i = 0; i < EXISTING; i += 500) {
            put(stream, i, i + 500);
        }
        int total = EXISTING + LIVE_BATCHES * LIVE_BATCH;
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        try (WsSubscriber vertx = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false);
             WsSubscriber jdk = WsSubscriber.jdk(eddy.port(), uri, false)) {
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                try {
                    for (int b = 0; b < LIVE_BATCHES; b++) {
                        int from = EXISTING + b * LIVE_BATCH;
                        put(stream, from, from + LIVE_BATCH);
                        Thread.sleep(100);
                    }
                } catch (Throwable t) {
                    producerFailure.set(t);
                }
            }, "scale-producer");
            producer.start();
            producer.join(WAIT.toMillis());
            assertNull(producerFailure.get(), "the producer failed");
            for (WsSubscriber s : List.of(vertx, jdk)) {
                List<JsonObject> events = s.pollEvents(total, WAIT);
                assertExactlyOnceInOrder(events, total);
            }
            System.out.printf("[%s] two subscribers received %,d events each (%,d stored + %,d live)%n",
                    TestBackends.storage(), total, EXISTING, total - EXISTING);
        }
    }

    private static void assertExactlyOnceInOrder(List<JsonObject> events, int total) {
        BitSet seen = new BitSet(total);
        Map<String, BigInteger> lastPerShard = new HashMap<>();
        int[] lastPerKey = new int[KEYS];
        java.util.Arrays.fill(lastPerKey, -1);
        for (JsonObject e : events) {
            int n = e.getJsonObject("data").getInteger("n");
            assertTrue(n >= 0 && n < total, "unexpected event " + e);
            assertTrue(!seen.get(n), "event " + n + " twice");
            seen.set(n);
            BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
            BigInteger last = lastPerShard.put(e.getString("shardId"), seq);
            assertTrue(last == null || last.compareTo(seq) < 0, "out of order in " + e.getString("shardId")
                    + " at event " + n);
            int key = n % KEYS;
            assertEquals("agg-" + key, e.getString("partitionKey"));
            assertTrue(lastPerKey[key] < n, "key agg-" + key + " out of order at event " + n);
            lastPerKey[key] = n;
        }
        assertEquals(total, events.size(), "no extra events");
        assertEquals(total, seen.cardinality(), "first missing: " + seen.nextClearBit(0));
    }
}
