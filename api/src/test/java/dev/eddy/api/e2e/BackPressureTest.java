package dev.eddy.api.e2e;

import dev.eddy.api.TestBackends;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscriber that never reads holds back only its own reader: the producer and another subscriber carry
 * on, and the server does not buffer what the stalled socket cannot take.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackPressureTest extends AbstractSdkTest {

    private static final int RECORD_BYTES = 10 * 1024;
    private static final int RECORDS = 4800;
    private static final long MIB = 1024 * 1024;

    /** Heap after a full collection plus Netty's direct memory (where unsent socket writes wait). */
    private static long serverMemory() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = Math.max(0, PlatformDependent.usedDirectMemory());
        return heap + direct;
    }

    @Test
    void aStalledSubscriberSlowsNeitherTheProducerNorAnotherSubscriber() {
        String stream = "backpressure";
        Shards.createStream(client, stream, 2);
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        try (WsSubscriber stalled = WsSubscriber.jdk(eddy.port(), uri, true);
             WsSubscriber reader = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            reader.keepData = false;
            reader.awaitFrame("shards", Duration.ofSeconds(10));
            long before = serverMemory();

            Random random = new Random(42);
            long started = System.nanoTime();
            for (int i = 0; i < RECORDS; i += 400) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int k = i; k < i + 400; k++) {
                    byte[] data = new byte[RECORD_BYTES];
                    random.nextBytes(data);
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + k)
                            .data(SdkBytes.fromByteArrayUnsafe(data)).build());
                }
                assertEquals(0, client.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long produced = (long) RECORDS * RECORD_BYTES;
            System.out.printf("[%s] producer: %d MiB in %.2f s (%.1f MiB/s) with a stalled subscriber%n",
                    TestBackends.storage(), produced / MIB, seconds, produced / MIB / seconds);

            List<JsonObject> events = reader.awaitEvents(RECORDS, Duration.ofSeconds(60));
            Map<String, BigInteger> last = new HashMap<>();
            for (JsonObject e : events) {
                BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
                BigInteger previous = last.put(e.getString("shardId"), seq);
                assertTrue(previous == null || previous.compareTo(seq) < 0, "per-shard order");
            }
            assertEquals(RECORDS, events.stream().map(e -> e.getString("sequenceNumber")).distinct().count());

            // Every event as a frame is ~13.7 KiB (base64), ~64 MiB for the stalled socket. The server may hold
            // the socket's write queue, a page per shard and what the kernel buffers, not all of it. The
            // in-memory backend also keeps the records themselves on the heap; MapDB only the batches in flight.
            long grown = serverMemory() - before;
            long stored = TestBackends.storedDataAllowance(produced);
            System.out.printf("[%s] server memory grew by %d MiB (stored records allowance %d MiB)%n",
                    TestBackends.storage(), grown / MIB, stored / MIB);
            assertTrue(grown < stored + 32 * MIB, "server memory grew by " + grown / MIB + " MiB");
            assertTrue(stalled.events().size() < RECORDS, "the stalled client read nothing");
            assertTrue(stalled.closed.getNow(null) == null, "the stalled subscriber is still connected");
        }
    }
}
