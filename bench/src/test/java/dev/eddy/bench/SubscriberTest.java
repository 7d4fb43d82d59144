package dev.eddy.bench;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The subscribe-mode subscriber's byte scanner and its checks, on event frames as the server writes them. */
class SubscriberTest {

    private static final int KEYS = 4;

    private static byte[] event(int shard, String sequenceNumber, long id) {
        String data = new String(Schedule.data(id, 60), StandardCharsets.US_ASCII);
        return ("{\"frame\":\"event\",\"stream\":\"s\",\"shardId\":\"shardId-" + String.format("%012d", shard)
                + "\",\"sequenceNumber\":\"" + sequenceNumber + "\",\"partitionKey\":\"bench-key-" + id % KEYS
                + "\",\"version\":0,\"id\":null,\"type\":null,\"metadata\":{},\"data\":" + data
                + ",\"arrivalTimestamp\":\"2026-01-01T00:00:00Z\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static Subscriber subscriber() {
        Schedule schedule = new Schedule(1000, 10, 2);
        schedule.begin(0);
        return new Subscriber(0, schedule, 2, KEYS);
    }

    @Test
    void countsEachRecordOnceAndMeasuresOnlyAfterTheWarmup() {
        Subscriber s = subscriber();
        for (int id = 0; id < 10; id++) {
            s.onMessage(event(id % 2, "4960" + (100 + id), id), 5_000_000_000L);
        }
        s.onMessage("{\"frame\":\"heartbeat\",\"timestamp\":\"x\",\"millisBehindLatest\":{}}"
                .getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(10, s.distinct.get());
        assertEquals(0, s.duplicated + s.reordered + s.corrupted + s.errorFrames);
        assertNull(s.firstProblem);
        assertEquals(8, s.fromScheduled.getTotalCount(), "the 2 warm-up records are not measured");
        // record 9 was due at 9 ms and arrived at 5 s
        assertEquals(5_000_000 - 9_000, s.fromScheduled.getMinValue(), 5_000);
    }

    @Test
    void detectsDuplicatesReorderingCorruptionAndErrors() {
        Subscriber s = subscriber();
        s.onMessage(event(0, "49601000", 3), 1);
        s.onMessage(event(0, "49601000", 3), 1); // same record again, same sequence number
        s.onMessage(event(0, "4960999", 4), 1); // shorter, so smaller: out of shard order
        s.onMessage(event(1, "49601000", 5), 1); // another shard has its own order
        byte[] wrongKey = new String(event(1, "49601001", 6), StandardCharsets.UTF_8)
                .replace("bench-key-2", "bench-key-3").getBytes(StandardCharsets.UTF_8);
        s.onMessage(wrongKey, 1);
        s.onMessage(event(7, "1", 7), 1); // a shard the stream does not have
        s.onMessage("{\"frame\":\"error\",\"code\":\"InternalFailure\",\"message\":\"x\"}"
                .getBytes(StandardCharsets.UTF_8), 1);
        assertEquals(1, s.duplicated);
        assertEquals(2, s.reordered, "the duplicate's sequence number does not increase either");
        assertEquals(2, s.corrupted);
        assertEquals(1, s.errorFrames);
        assertEquals(3, s.distinct.get());
        assertTrue(s.received(3) && s.received(4) && s.received(5));
        assertFalse(s.received(6));
        assertNotNull(s.firstProblem);
    }
}
