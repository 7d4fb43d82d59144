package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedBatch;
import dev.eddy.platform.FeedEnd;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.FeedShards;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.Record;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.StreamMode;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static dev.eddy.platform.impl.PlatformFutures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retention on MapDB: the boundary on every read path, and the job that gives the space back. */
class RetentionTest {

    @TempDir
    Path dir;
    private final SettableClock clock = new SettableClock(Instant.parse("2026-06-01T00:00:00Z"));
    private Vertx vertx;
    private EventStore store;
    private StreamsImpl streams;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        store = await(EventStores.mapdb(vertx, dir));
        streams = await(StreamsImpl.start(vertx, store, PlatformOptions.defaults().withClock(clock),
                StreamMetrics.disabled()));
        await(streams.createStream(new CreateStreamRequest("s", 1, StreamMode.PROVISIONED, Map.of())));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(store.close());
        await(vertx.close());
    }

    private void put(int n, String key) throws Exception {
        List<PutEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(PutEntry.of(key, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }
        await(streams.putRecords("s", entries));
    }

    private List<Record> feedRecords(int expected) throws Exception {
        List<Record> got = new CopyOnWriteArrayList<>();
        Feed feed = await(streams.feeds().open(FeedRequest.of("s", FeedStart.trimHorizon()), new FeedHandler() {
            @Override
            public void shards(FeedShards shards) {
            }

            @Override
            public void records(FeedBatch batch) {
                got.addAll(batch.records());
            }

            @Override
            public void retrying(String shardId, PlatformException cause) {
            }

            @Override
            public void ended(FeedEnd end) {
            }
        }));
        feed.request(Feed.UNBOUNDED);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.size() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(100);
        feed.close();
        return got;
    }

    @Test
    void expiredRecordsAreHiddenAtOnceAndTheirSpaceReclaimedByTheJob() throws Exception {
        for (int i = 0; i < 10; i++) {
            put(100, "old"); // ten batches
        }
        clock.advance(Duration.ofHours(20));
        put(50, "new");
        String log = streams.readableMeta("s").logName(0);
        long bytesBefore = await(store.storedBytes(log));
        assertEquals(0L, await(streams.trimExpired()), "nothing is past 24 hours yet");

        clock.advance(Duration.ofHours(5));
        assertEquals(50, feedRecords(50).size(), "a feed from TRIM_HORIZON starts after the expired records");
        assertEquals(List.of(), await(streams.readEvents("s", "old", 0, 100)), "an aggregate's expired history");
        assertEquals(50, await(streams.readEvents("s", "new", 0, 100)).size());

        assertEquals(1000L, await(streams.trimExpired()));
        LogState state = await(store.state(log));
        assertEquals(1000, state.firstPosition(), "the trim horizon moved past the expired batches");
        assertTrue(await(store.storedBytes(log)) < bytesBefore / 5, "their space is given back");
        assertEquals(0L, await(streams.trimExpired()), "idempotent");
        assertEquals(50, feedRecords(50).size());
    }

    @Test
    void aShorterPeriodHidesMoreAtOnce() throws Exception {
        await(streams.increaseRetention("s", 100));
        put(10, "a");
        clock.advance(Duration.ofHours(50));
        put(5, "b");
        assertEquals(15, feedRecords(15).size());
        await(streams.decreaseRetention("s", 48));
        assertEquals(5, feedRecords(5).size());
        assertEquals(10L, await(streams.trimExpired()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.decreaseRetention("s", 100)).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.increaseRetention("s", 8761)).code());
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.increaseRetention("nope", 48)).code());
    }
}
