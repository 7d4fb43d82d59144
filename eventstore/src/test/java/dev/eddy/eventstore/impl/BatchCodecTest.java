package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Round trips of the batch formats over random records, and rejection of unknown or damaged input. */
class BatchCodecTest {

    private static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            sb.appendCodePoint(r.nextInt(4) == 0 ? 0x1F600 + r.nextInt(50) : 'a' + r.nextInt(26));
        }
        return sb.toString();
    }

    @Test
    void randomBatchesRoundTrip() {
        Random r = new Random(42);
        for (int round = 0; round < 200; round++) {
            int n = 1 + r.nextInt(30);
            List<NewRecord> records = new ArrayList<>();
            long[] versions = new long[n];
            for (int i = 0; i < n; i++) {
                byte[] data = new byte[r.nextInt(200)];
                r.nextBytes(data);
                Map<String, String> meta = r.nextBoolean() ? Map.of() : Map.of(randomString(r) + "k", randomString(r));
                records.add(new NewRecord(randomString(r), data, r.nextBoolean() ? null : randomString(r),
                        r.nextBoolean() ? null : randomString(r), meta));
                versions[i] = r.nextInt(1000);
            }
            long first = r.nextInt(1_000_000);
            long arrival = r.nextLong() & Long.MAX_VALUE;
            BatchCodec.Encoded enc = BatchCodec.encode(first, arrival, records, versions);

            List<StoredRecord> out = new ArrayList<>();
            BatchCodec.decode(enc.batch(), p -> true, out::add);
            assertEquals(n, out.size());
            for (int i = 0; i < n; i++) {
                NewRecord in = records.get(i);
                StoredRecord s = out.get(i);
                assertEquals(first + i, s.position());
                assertEquals(in.partitionKey(), s.partitionKey());
                assertArrayEquals(in.data(), s.data());
                assertEquals(in.eventId(), s.eventId());
                assertEquals(in.eventType(), s.eventType());
                assertEquals(in.metadata(), s.metadata());
                assertEquals(versions[i], s.version());
                assertEquals(arrival, s.arrivalMillis());
            }
            int[] seen = {0};
            BatchCodec.decodeKeySection(enc.keySection(), (position, key, version, eventId) -> {
                int i = seen[0]++;
                assertEquals(first + i, position);
                assertEquals(records.get(i).partitionKey(), key);
                assertEquals(versions[i], version);
                assertEquals(records.get(i).eventId(), eventId);
            });
            assertEquals(n, seen[0]);
            assertEquals(arrival, BatchCodec.arrivalOf(enc.keySection()));
            assertEquals(n, BatchCodec.countOf(enc.batch()));

            List<StoredRecord> odd = new ArrayList<>();
            BatchCodec.decode(enc.batch(), p -> (p - first) % 2 == 1, odd::add);
            assertEquals(n / 2, odd.size());
        }
    }

    @Test
    void unknownFormatAndTruncatedBatchesAreRejected() {
        BatchCodec.Encoded enc = BatchCodec.encode(0, 1, List.of(NewRecord.of("k", new byte[100])), new long[]{0});
        byte[] future = enc.batch().clone();
        future[0] = 99;
        assertThrows(IllegalStateException.class, () -> BatchCodec.decode(future, p -> true, r -> true));
        byte[] keys = enc.keySection().clone();
        keys[0] = 0;
        assertThrows(IllegalStateException.class, () -> BatchCodec.decodeKeySection(keys, (a, b, c, d) -> { }));
        byte[] torn = java.util.Arrays.copyOf(enc.batch(), enc.batch().length - 10);
        assertThrows(RuntimeException.class, () -> BatchCodec.decode(torn, p -> true, r -> true));
    }
}
