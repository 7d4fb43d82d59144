package dev.eddy.platform.impl;

import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.StreamMode;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restart in the middle of a retention pass on MapDB: one shard was trimmed, the other not yet, when the server
 * stopped. After the restart the job (first pass a few seconds after start) finishes the trim, the log segment that
 * held only expired records is deleted from disk, and the younger records are all still there.
 */
class RetentionRestartTest {

    private static final int OLD_BATCHES = 160;
    private static final int PER_BATCH = 500;

    @TempDir
    Path dir;
    private final SettableClock clock = new SettableClock(Instant.parse("2026-06-01T00:00:00Z"));
    private final Vertx vertx = Vertx.vertx();
    private EventStore store;
    private StreamsImpl streams;

    @AfterEach
    void tearDown() throws Exception {
        if (store != null) {
            await(store.close());
        }
        await(vertx.close());
    }

    private void open() throws Exception {
        store = await(EventStores.mapdb(vertx, dir));
        streams = await(StreamsImpl.start(vertx, store, PlatformOptions.defaults().withClock(clock),
                StreamMetrics.disabled()));
    }

    private void put(String key, int batches) throws Exception {
        byte[] data = new byte[1000];
        for (int b = 0; b < batches; b++) {
            List<PutEntry> entries = new ArrayList<>(PER_BATCH);
            for (int i = 0; i < PER_BATCH; i++) {
                entries.add(PutEntry.of(key + "-" + b + "-" + i, null, data));
            }
            for (PutResult r : await(streams.putRecords("s", entries))) {
                assertFalse(r.failed(), r::errorMessage);
            }
        }
    }

    /** The log's segment files, oldest first (each 64 MiB, preallocated ahead of the writer). */
    private List<String> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("eddy.log"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void eventually(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.call()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void aPassInterruptedByARestartIsFinishedAfterIt() throws Exception {
        open();
        await(streams.createStream(new CreateStreamRequest("s", 2, StreamMode.PROVISIONED, Map.of())));
        put("old", OLD_BATCHES); // ~80 MB over both shards: more than one 64 MiB log segment
        clock.advance(Duration.ofHours(25));
        put("new", 4);
        StreamMeta meta = streams.readableMeta("s");
        long[] old = new long[2];
        long[] all = new long[2];
        for (int i = 0; i < 2; i++) {
            all[i] = await(store.state(meta.logName(i))).nextPosition();
            old[i] = await(store.seek(meta.logName(i), clock.millis() - Duration.ofHours(24).toMillis()));
            assertTrue(old[i] > 0 && old[i] < all[i], "shard " + i + " holds old and new records");
        }
        List<String> segmentsBefore = segments();
        assertTrue(segmentsBefore.size() >= 2, "the old records fill a segment: " + segmentsBefore);


        // The pass got as far as the first shard when the server stopped.
        await(store.trim(meta.logName(0), old[0]));
        await(store.close());
        store = null;

        open();
        String second = meta.logName(1);
        eventually("the job finished the pass", () -> await(store.state(second)).firstPosition() == old[1]);
        assertEquals(old[0], await(store.state(meta.logName(0))).firstPosition());

        // The first segment holds only expired records: deleted once the trims are checkpointed. (The reopen
        // started a fresh segment, so the count stays the same; the freed one does not come back.)
        eventually("the expired records' log segment is deleted", () -> !segments().contains(segmentsBefore.get(0)));
        assertTrue(segments().size() <= segmentsBefore.size(), "no more segments than before: " + segments());
        for (int i = 0; i < 2; i++) {
            String log = meta.logName(i);
            assertEquals(all[i] - old[i], await(store.read(log, 0, 100_000, Long.MAX_VALUE)).records().size(),
                    "every younger record of shard " + i + " is still there");
        }
    }
}
