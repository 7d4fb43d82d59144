package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gap test: writers in several store instances (as if several Eddy processes shared the database) append to
 * the same logs while every append transaction sleeps a random time before COMMIT, so commits would come out of
 * position order if anything let them. A reader tailing each log must see every record exactly once, in order.
 */
class GapFreeTailingTest {

    private static final int WRITERS = 4;
    private static final int LOGS = 2;
    private static final int APPENDS = 20;
    private static final int PER_APPEND = 3;

    private final List<Vertx> vertxes = new ArrayList<>();
    private final List<EventStore> writers = new ArrayList<>();
    private String url;
    private EventStore reader;

    @BeforeEach
    void open() {
        url = PostgresTestServer.createDatabase();
        for (int w = 0; w < WRITERS; w++) {
            Vertx vertx = Vertx.vertx();
            vertxes.add(vertx);
            writers.add(await(PostgresEventStore.open(vertx, new PostgresOptions(url, 4),
                    conn -> conn.query("SELECT pg_sleep(random() * 0.05)").execute().mapEmpty())));
        }
        Vertx vertx = Vertx.vertx();
        vertxes.add(vertx);
        reader = await(PostgresEventStore.open(vertx, PostgresOptions.of(url)));
    }

    @AfterEach
    void close() {
        writers.forEach(s -> await(s.close()));
        await(reader.close());
        vertxes.forEach(v -> await(v.close()));
        PostgresTestServer.dropDatabase(url);
    }

    @Test
    void readersTailingLogsNeverSkipARecordThatCommitsLate() throws Exception {
        List<Future<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < APPENDS; i++) {
            for (int w = 0; w < WRITERS; w++) {
                for (int l = 0; l < LOGS; l++) {
                    List<NewRecord> batch = new ArrayList<>();
                    for (int r = 0; r < PER_APPEND; r++) {
                        batch.add(NewRecord.of("key-" + r, ByteBuffer.allocate(8).putInt(w).putInt(i * PER_APPEND + r).array()));
                    }
                    appends.add(writers.get(w).append("log-" + l, AppendBatch.of(batch, System.currentTimeMillis())));
                }
            }
        }
        int expected = APPENDS * WRITERS * PER_APPEND;
        Map<Integer, List<StoredRecord>> seen = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int l = 0; l < LOGS; l++) {
            seen.put(l, new ArrayList<>());
        }
        long[] from = new long[LOGS];
        int polls = 0;
        while (seen.values().stream().mapToInt(List::size).sum() < expected * LOGS && System.nanoTime() < deadline) {
            for (int l = 0; l < LOGS; l++) {
                ReadResult r = await(reader.read("log-" + l, from[l], 5, Long.MAX_VALUE));
                seen.get(l).addAll(r.records());
                from[l] = r.nextPosition();
            }
            polls++;
        }
        appends.forEach(f -> await(f));
        assertTrue(polls > LOGS * 10, "the reader tailed while writers were still writing");

        for (int l = 0; l < LOGS; l++) {
            List<StoredRecord> records = seen.get(l);
            assertEquals(expected, records.size(), "records seen by the tailing reader of log-" + l);
            Set<Long> tags = new HashSet<>();
            Map<Integer, Integer> lastSeq = new HashMap<>();
            for (int i = 0; i < records.size(); i++) {
                StoredRecord r = records.get(i);
                assertEquals(i, r.position(), "position of the " + i + "th record seen in log-" + l);
                ByteBuffer b = ByteBuffer.wrap(r.data());
                int writer = b.getInt();
                int seq = b.getInt();
                assertTrue(tags.add(((long) writer << 32) | seq), "seen once: writer " + writer + " seq " + seq);
                Integer prev = lastSeq.put(writer, seq);
                assertTrue(prev == null || prev < seq, "a writer's appends keep their order");
            }
        }
    }
}
