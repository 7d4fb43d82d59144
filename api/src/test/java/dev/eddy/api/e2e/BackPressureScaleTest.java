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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-pressure at acceptance scale: while a subscriber that never reads stays connected, a producer writes
 * 200 MB; the producer completes, a reading subscriber receives everything in order, and the server's memory
 * grows by what the stalled socket may queue, not by what it missed. Runs on every backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackPressureScaleTest extends AbstractSdkTest {

    private static final int RECORD_BYTES = 50 * 1024;
    private static final int RECORDS = 4000; // 200 MB (195 MiB)
    private static final int BATCH = 80; // 4 MB per PutRecords call, under Kinesis's 5 MiB
    private static final long MIB = 1024 * 1024;

    /** Heap after a full collection plus Netty's direct memory (where unsent socket writes wait). */
    private static long serverMemory() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return heap + Math.max(0, PlatformDependent.usedDirectMemory());
    }

    @Test
    void aStalledSubscriberHoldsBackNeither200MbOfWritesNorAnotherSubscriber() throws Exception {
        String stream = "backpressure-scale";
        Shards.createStream(client, stream, 4);
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        try (WsSubscriber stalled = WsSubscriber.jdk(eddy.port(), uri, true);
             WsSubscriber reader = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            reader.keepData = false;
            reader.awaitFrame("shards", Duration.ofSeconds(30));
            long before = serverMemory();
            long peak = 0;

            Random random = new Random(7);
            long produced = 0;
            for (int i = 0; i < RECORDS; i += BATCH) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>(BATCH);
                for (int k = i; k < i + BATCH; k++) {
                    byte[] data = new byte[RECORD_BYTES];
                    random.nextBytes(data);
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (k % 64))
                            .data(SdkBytes.fromByteArrayUnsafe(data)).build());
                    produced += data.length;
                }
                assertEquals(0, client.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount(),
                        "batch at " + i);
                if (i % (BATCH * 10) == 0) {
                    peak = Math.max(peak, serverMemory() - before);
                }
            }

            List<JsonObject> events = reader.pollEvents(RECORDS, Duration.ofSeconds(180));
            Map<String, BigInteger> last = new HashMap<>();
            Set<String> distinct = new HashSet<>();
            for (JsonObject e : events) {
                BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
                BigInteger previous = last.put(e.getString("shardId"), seq);
                assertTrue(previous == null || previous.compareTo(seq) < 0, "per-shard order");
                distinct.add(e.getString("sequenceNumber"));
            }
            assertEquals(RECORDS, events.size(), "no extra events");
            assertEquals(RECORDS, distinct.size(), "every event once");

            // The stalled socket would need ~260 MiB of frames (base64). The server may hold its write queue
            // (1 MiB), a page per shard and what the kernel buffers; the in-memory backend also keeps the
            // records themselves on the heap, MapDB only the batches in flight. Generous bounds:
            // memory, not timing, is asserted.
            peak = Math.max(peak, serverMemory() - before);
            long stored = TestBackends.storedDataAllowance(produced);
            System.out.printf("[%s] %d MiB written with a stalled subscriber; server memory grew by at most %d MiB "
                    + "(stored records allowance %d MiB)%n", TestBackends.storage(), produced / MIB, peak / MIB,
                    stored / MIB);
            assertTrue(peak < stored + 64 * MIB, "server memory grew by " + peak / MIB + " MiB");
            assertTrue(stalled.events().size() < RECORDS / 10, "the stalled client read (almost) nothing");
            assertNull(stalled.closed.getNow(null), "the stalled subscriber is still connected");
        }
    }
}
