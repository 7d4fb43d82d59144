package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.platform.ExpectedVersion;
import dev.eddy.platform.AppendedEvents;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.HistoryEvent;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardFilter;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.StreamStatus;
import dev.eddy.platform.Streams;
import dev.eddy.platform.VersionConflictException;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static dev.eddy.platform.impl.PlatformFutures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamsImplTest {

    private Vertx vertx;
    private final List<EventStore> stores = new ArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (EventStore store : stores) {
            await(store.close());
        }
        await(vertx.close());
    }

    private Streams start(EventStore store, PlatformOptions options) throws Exception {
        stores.add(store);
        return await(Platform.start(vertx, store, options));
    }

    private Streams memory() throws Exception {
        return start(EventStores.memory(vertx), PlatformOptions.defaults());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void createDescribePutGetDelete() throws Exception {
        Streams streams = memory();
        await(streams.createStream(new CreateStreamRequest("orders", 3, StreamMode.PROVISIONED, Map.of())));
        var description = await(streams.describeStream("orders"));
        assertEquals(StreamStatus.ACTIVE, description.status());
        assertEquals(3, description.shards().size());
        assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/orders", description.arn());

        List<PutEntry> entries = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            entries.add(PutEntry.of("key-" + (i % 10), null, bytes("value-" + i)));
        }
        List<PutResult> results = await(streams.putRecords("orders", entries));
        assertEquals(100, results.size());
        for (int i = 0; i < 100; i++) {
            PutResult r = results.get(i);
            assertFalse(r.failed());
            Shard shard = description.shards().get(ShardIds.index(r.shardId()));
            assertTrue(shard.owns(HashKeys.ofPartitionKey("key-" + (i % 10))));
            assertEquals(i / 10, r.version());
        }

        int read = 0;
        for (Shard shard : description.shards()) {
            String it = await(streams.getShardIterator(new ShardIteratorRequest("orders", shard.shardId(),
                    IteratorType.TRIM_HORIZON, null, null)));
            GetRecordsResult got = await(streams.getRecords(it, 10_000));
            BigInteger previous = BigInteger.valueOf(-1);
            for (var record : got.records()) {
                BigInteger seq = new BigInteger(record.sequenceNumber());
                assertTrue(seq.compareTo(previous) > 0);
                previous = seq;
            }
            read += got.records().size();
            assertEquals(0, got.millisBehindLatest());
            GetRecordsResult empty = await(streams.getRecords(got.nextShardIterator(), 10));
            assertTrue(empty.records().isEmpty());
        }
        assertEquals(100, read);

        await(streams.deleteStream("orders", false));
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.describeStream("orders")).code());
        assertTrue(await(streams.listStreams()).isEmpty());
    }

    @Test
    void iteratorTypes() throws Exception {
        Streams streams = memory();
        await(streams.createStream(new CreateStreamRequest("s", 1, StreamMode.PROVISIONED, Map.of())));
        List<PutResult> first = await(streams.putRecords("s", List.of(
                PutEntry.of("k", null, bytes("a")), PutEntry.of("k", null, bytes("b")), PutEntry.of("k", null, bytes("c")))));
        String shardId = first.get(0).shardId();
        String second = first.get(1).sequenceNumber();

        String at = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.AT_SEQUENCE_NUMBER, second, null)));
        assertEquals(List.of("b", "c"), data(await(streams.getRecords(at, 100))));
        String after = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.AFTER_SEQUENCE_NUMBER, second, null)));
        assertEquals(List.of("c"), data(await(streams.getRecords(after, 100))));
        String latest = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.LATEST, null, null)));
        await(streams.putRecord("s", PutEntry.of("k", null, bytes("d"))));
        assertEquals(List.of("d"), data(await(streams.getRecords(latest, 100))));
        String horizon = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.TRIM_HORIZON, null, null)));
        GetRecordsResult limited = await(streams.getRecords(horizon, 2));
        assertEquals(List.of("a", "b"), data(limited));
        assertEquals(List.of("c", "d"), data(await(streams.getRecords(limited.nextShardIterator(), 2))));
        String future = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.AT_TIMESTAMP, null, System.currentTimeMillis() + 60_000)));
        assertTrue(await(streams.getRecords(future, 100)).records().isEmpty());
        String past = await(streams.getShardIterator(new ShardIteratorRequest("s", shardId,
                IteratorType.AT_TIMESTAMP, null, 0L)));
        assertEquals(4, await(streams.getRecords(past, 100)).records().size());

        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.getShardIterator(new ShardIteratorRequest("s",
                "shardId-000000000009", IteratorType.LATEST, null, null))).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.getShardIterator(new ShardIteratorRequest("s",
                shardId, IteratorType.AT_SEQUENCE_NUMBER, "12", null))).code());
    }

    private static List<String> data(GetRecordsResult result) {
        List<String> out = new ArrayList<>();
        result.records().forEach(r -> out.add(new String(r.data(), StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void rejectsBadInputWithoutChangingState() throws Exception {
        Streams streams = memory();
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.createStream(
                new CreateStreamRequest("bad name", 1, StreamMode.PROVISIONED, Map.of()))).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.createStream(
                new CreateStreamRequest("zero", 0, StreamMode.PROVISIONED, Map.of()))).code());
        assertTrue(await(streams.listStreams()).isEmpty());
        await(streams.createStream(new CreateStreamRequest("s", 2, StreamMode.PROVISIONED, Map.of())));
        assertEquals(ErrorCode.RESOURCE_IN_USE, failure(streams.createStream(
                new CreateStreamRequest("s", 1, StreamMode.PROVISIONED, Map.of()))).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.putRecords("s", List.of(
                PutEntry.of("ok", null, bytes("x")),
                PutEntry.of("k", HashKeys.SPACE.toString(), bytes("y"))))).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.putRecord("s",
                PutEntry.of("k", null, new byte[1024 * 1024]))).code());
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.putRecord("nope",
                PutEntry.of("k", null, bytes("x")))).code());
        for (Shard shard : await(streams.listShards("s", null))) {
            String it = await(streams.getShardIterator(new ShardIteratorRequest("s", shard.shardId(),
                    IteratorType.TRIM_HORIZON, null, null)));
            assertTrue(await(streams.getRecords(it, 100)).records().isEmpty());
        }
    }

    @Test
    void explicitHashKeyOverridesRouting() throws Exception {
        Streams streams = memory();
        await(streams.createStream(new CreateStreamRequest("s", 4, StreamMode.PROVISIONED, Map.of())));
        List<Shard> shards = await(streams.listShards("s", null));
        for (Shard shard : shards) {
            PutResult r = await(streams.putRecord("s", PutEntry.of("same-key", shard.endingHashKey().toString(),
                    bytes("x"))));
            assertEquals(shard.shardId(), r.shardId());
        }
    }

    @Test
    void listShardsFilters() throws Exception {
        Streams streams = memory();
        await(streams.createStream(new CreateStreamRequest("s", 3, StreamMode.PROVISIONED, Map.of())));
        assertEquals(2, await(streams.listShards("s",
                new ShardFilter(ShardFilter.Type.AFTER_SHARD_ID, "shardId-000000000000", null))).size());
        assertEquals(3, await(streams.listShards("s", new ShardFilter(ShardFilter.Type.AT_LATEST, null, null))).size());
        assertEquals(3, await(streams.listShards("s",
                new ShardFilter(ShardFilter.Type.AT_TIMESTAMP, null, 0L))).size());
        assertEquals(3, await(streams.listShards("s",
                new ShardFilter(ShardFilter.Type.FROM_TRIM_HORIZON, null, null))).size());
    }

    @Test
    void lifecycleGoesThroughCreatingAndDeleting() throws Exception {
        PlatformOptions slow = PlatformOptions.defaults().withDelays(Duration.ofMillis(300), Duration.ofMillis(300));
        Streams streams = start(EventStores.memory(vertx), slow);
        await(streams.createStream(new CreateStreamRequest("s", 1, StreamMode.PROVISIONED, Map.of())));
        assertEquals(StreamStatus.CREATING, await(streams.describeStream("s")).status());
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.putRecord("s", PutEntry.of("k", null, bytes("x")))).code());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (await(streams.describeStream("s")).status() != StreamStatus.ACTIVE && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(StreamStatus.ACTIVE, await(streams.describeStream("s")).status());
        await(streams.deleteStream("s", false));
        assertEquals(StreamStatus.DELETING, await(streams.describeStream("s")).status());
        while (!await(streams.listStreams()).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(await(streams.listStreams()).isEmpty());
    }

    @Test
    void streamsRecordsAndIteratorsSurviveARestart(@TempDir Path dir) throws Exception {
        EventStore first = await(EventStores.mapdb(vertx, dir));
        Streams streams = await(Platform.start(vertx, first, PlatformOptions.defaults()));
        await(streams.createStream(new CreateStreamRequest("durable", 2, StreamMode.PROVISIONED, Map.of())));
        PutResult put = await(streams.putRecord("durable", PutEntry.of("k", null, bytes("kept"))));
        String it = await(streams.getShardIterator(new ShardIteratorRequest("durable", put.shardId(),
                IteratorType.TRIM_HORIZON, null, null)));
        await(first.close());

        Streams reopened = start(await(EventStores.mapdb(vertx, dir)), PlatformOptions.defaults());
        assertEquals(2, await(reopened.describeStream("durable")).shards().size());
        GetRecordsResult got = await(reopened.getRecords(it, 10));
        assertEquals(1, got.records().size());
        assertEquals(put.sequenceNumber(), got.records().get(0).sequenceNumber());
        assertArrayEquals(bytes("kept"), got.records().get(0).data());
    }

    @Test
    void appendEventsWithExpectedVersionsIdempotencyAndHistory() throws Exception {
        Streams streams = memory();
        await(streams.createStream(new CreateStreamRequest("orders", 3, StreamMode.PROVISIONED, Map.of())));
        PutEntry created = new PutEntry("ignored", null, bytes("{\"created\":1}"), "e-1", "Created", Map.of("by", "t"));
        AppendedEvents first = await(streams.appendEvents("orders", "order-1", ExpectedVersion.none(), List.of(created)));
        assertFalse(first.duplicate());
        assertEquals(0, first.results().get(0).version());

        VersionConflictException conflict = assertInstanceOf(VersionConflictException.class,
                assertThrows(Exception.class, () -> await(streams.appendEvents("orders", "order-1",
                        ExpectedVersion.none(), List.of(PutEntry.of("x", null, bytes("late")))))));
        assertEquals(0L, conflict.currentVersion());

        AppendedEvents again = await(streams.appendEvents("orders", "order-1", ExpectedVersion.none(), List.of(created)));
        assertTrue(again.duplicate(), "a retry with the same ids is idempotent, even with a stale expected version");
        assertEquals(first.results().get(0).sequenceNumber(), again.results().get(0).sequenceNumber());

        AppendedEvents next = await(streams.appendEvents("orders", "order-1", ExpectedVersion.exactly(0), List.of(
                new PutEntry("x", null, bytes("paid"), "e-2", "Paid", Map.of()),
                new PutEntry("x", null, bytes("shipped"), "e-3", "Shipped", Map.of()))));
        assertEquals(List.of(1L, 2L), next.results().stream().map(PutResult::version).toList());

        List<HistoryEvent> history = await(streams.readEvents("orders", "order-1", 0, 100));
        assertEquals(3, history.size());
        assertEquals("Created", history.get(0).record().eventType());
        assertEquals(Map.of("by", "t"), history.get(0).record().metadata());
        assertEquals("order-1", history.get(0).record().partitionKey());
        assertEquals(List.of("paid", "shipped"), await(streams.readEvents("orders", "order-1", 1, 100)).stream()
                .map(h -> new String(h.record().data(), StandardCharsets.UTF_8)).toList());
        assertEquals(first.results().get(0).shardId(), history.get(0).shardId());
        assertTrue(await(streams.readEvents("orders", "nobody", 0, 10)).isEmpty());

        // A record put over Kinesis is an event of the same aggregate.
        PutResult kinesis = await(streams.putRecord("orders", PutEntry.of("order-1", null, bytes("raw"))));
        assertEquals(3, kinesis.version());
        assertEquals(4, await(streams.readEvents("orders", "order-1", 0, 100)).size());
    }

    @Test
    void appendListenersAreWokenPerAppendedShardUntilCancelled() throws Exception {
        Streams streams = start(EventStores.memory(vertx), PlatformOptions.defaults());
        await(streams.createStream(new CreateStreamRequest("woken", 2, StreamMode.PROVISIONED, Map.of())));
        List<String> woken = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> other = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.eddy.platform.AppendWatch watch = streams.onAppend("woken", woken::add);
        streams.onAppend("elsewhere", other::add);
        List<PutResult> results = await(streams.putRecords("woken", List.of(PutEntry.of("a", null, bytes("1")),
                PutEntry.of("b", null, bytes("2")), PutEntry.of("c", null, bytes("3")))));
        // One wake-up per shard batch, fired before the put is acknowledged.
        assertEquals(results.stream().map(PutResult::shardId).distinct().sorted().toList(),
                woken.stream().sorted().toList());
        AppendedEvents appended = await(streams.appendEvents("woken", "agg", ExpectedVersion.any(),
                List.of(PutEntry.of("agg", null, bytes("e")))));
        assertEquals(appended.results().get(0).shardId(), woken.get(woken.size() - 1));
        int before = woken.size();
        watch.cancel();
        await(streams.putRecord("woken", PutEntry.of("a", null, bytes("4"))));
        assertEquals(before, woken.size());
        assertTrue(other.isEmpty());
    }
}
