package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedBatch;
import dev.eddy.platform.FeedEnd;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.FeedShards;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.Streams;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static dev.eddy.platform.impl.PlatformFutures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The platform's feed API over the in-memory store: catch-up, live tail, demand, pause, starts, groups. */
class FeedsTest {

    private static final List<String> FOUR_SHARDS = List.of("shardId-000000000000", "shardId-000000000001",
            "shardId-000000000002", "shardId-000000000003");
    private Vertx vertx;
    private EventStore store;
    private Streams streams;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        store = EventStores.memory(vertx);
        streams = await(Platform.start(vertx, store, PlatformOptions.defaults()));
        await(streams.createStream(new CreateStreamRequest("orders", 4, StreamMode.PROVISIONED, Map.of())));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(store.close());
        await(vertx.close());
    }

    /** Everything a feed hands its handler, checked to arrive on one context, one call at a time. */
    private static class Probe implements FeedHandler {
        final List<Record> records = new CopyOnWriteArrayList<>();
        final List<FeedBatch> batches = new CopyOnWriteArrayList<>();
        final List<FeedShards> shards = new CopyOnWriteArrayList<>();
        final List<FeedEnd> ends = new CopyOnWriteArrayList<>();
        final List<String> retries = new CopyOnWriteArrayList<>();
        volatile Context context;
        volatile String wrongContext;

        private void onContext() {
            Context now = Vertx.currentContext();
            if (context == null) {
                context = now;
            } else if (now != context) {
                wrongContext = "called on " + now + ", not " + context;
            }
        }

        @Override
        public void shards(FeedShards s) {
            onContext();
            shards.add(s);
        }

        @Override
        public void records(FeedBatch batch) {
            onContext();
            assertTrue(!batch.records().isEmpty(), "an empty batch");
            batches.add(batch);
            records.addAll(batch.records());
        }

        @Override
        public void retrying(String shardId, PlatformException cause) {
            retries.add(shardId + ": " + cause.getMessage());
        }

        @Override
        public void ended(FeedEnd end) {
            onContext();
            ends.add(end);
        }

        /** Sequence number -> shard, checking each record came once and in order within its shard. */
        Map<String, String> verify() {
            assertNull(wrongContext);
            Map<String, String> shardOf = new HashMap<>();
            Map<String, String> lastPerShard = new HashMap<>();
            for (FeedBatch b : batches) {
                for (Record r : b.records()) {
                    String before = shardOf.put(r.sequenceNumber(), b.shardId());
                    assertNull(before, "record " + r.sequenceNumber() + " delivered twice");
                    String last = lastPerShard.put(b.shardId(), r.sequenceNumber());
                    assertTrue(last == null || last.compareTo(r.sequenceNumber()) < 0,
                            "out of order on " + b.shardId() + ": " + r.sequenceNumber() + " after " + last);
                }
            }
            return shardOf;
        }
    }

    private List<PutResult> put(String prefix, int n) throws Exception {
        List<PutEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(PutEntry.of(prefix + (i % 37), null, (prefix + "-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return await(streams.putRecords("orders", entries));
    }

    private Feed open(FeedRequest request, Probe probe) throws Exception {
        return await(streams.feeds().open(request, probe));
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Waits a little and checks that nothing more arrived. */
    private static void stays(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 30; i++) {
            Thread.sleep(10);
            assertTrue(condition.getAsBoolean(), what);
        }
    }

    private static List<String> sequenceNumbers(List<PutResult> results) {
        return results.stream().map(PutResult::sequenceNumber).toList();
    }

    @Test
    void catchesUpThenFollowsAppendsEveryRecordOnceInShardOrder() throws Exception {
        List<PutResult> before = put("a", 1500);
        Probe probe = new Probe();
        Feed feed = open(FeedRequest.of("orders", FeedStart.trimHorizon()), probe);
        assertEquals(FOUR_SHARDS, probe.shards.get(0).shardIds(), "the shards are named before any record");
        assertTrue(probe.records.isEmpty(), "no demand yet, no records");
        feed.request(Feed.UNBOUNDED);
        eventually("the backlog", () -> probe.records.size() == 1500);
        List<PutResult> after = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            after.addAll(put("b" + i + "-", 25));
        }
        eventually("the live records", () -> probe.records.size() == 2000);
        Map<String, String> shardOf = probe.verify();
        for (PutResult r : before) {
            assertEquals(r.shardId(), shardOf.get(r.sequenceNumber()));
        }
        for (PutResult r : after) {
            assertEquals(r.shardId(), shardOf.get(r.sequenceNumber()));
        }
        feed.close();
        put("c", 10);
        stays("a closed feed gets nothing", () -> probe.records.size() == 2000);
        assertTrue(probe.ends.isEmpty());
    }

    @Test
    void boundedDemandIsNeverExceededAndSharedAcrossShards() throws Exception {
        put("a", 400);
        Probe probe = new Probe();
        Feed feed = open(FeedRequest.of("orders", FeedStart.trimHorizon()), probe);
        feed.request(10);
        eventually("ten records", () -> probe.records.size() == 10);
        stays("no more than the demand", () -> probe.records.size() == 10);
        feed.request(25);
        eventually("35 records", () -> probe.records.size() == 35);
        stays("no more than the demand", () -> probe.records.size() == 35);
        feed.request(Feed.UNBOUNDED);
        eventually("the rest", () -> probe.records.size() == 400);
        feed.cancelDemand();
        put("b", 50);
        stays("no demand, no records", () -> probe.records.size() == 400);
        feed.request(50);
        eventually("the new records", () -> probe.records.size() == 450);
        probe.verify();
    }

    @Test
    void aPausedFeedHoldsOnlyItselfBack() throws Exception {
        Probe slow = new Probe();
        Probe fast = new Probe();
        Feed paused = open(FeedRequest.of("orders", FeedStart.trimHorizon()), slow);
        Feed flowing = open(FeedRequest.of("orders", FeedStart.trimHorizon()), fast);
        paused.request(Feed.UNBOUNDED);
        flowing.request(Feed.UNBOUNDED);
        put("a", 200);
        eventually("both caught up", () -> slow.records.size() == 200 && fast.records.size() == 200);
        paused.pause();
        for (int i = 0; i < 10; i++) {
            put("b" + i + "-", 100);
        }
        eventually("the flowing feed", () -> fast.records.size() == 1200);
        stays("the paused feed gets nothing", () -> slow.records.size() == 200);
        paused.resume();
        eventually("the paused feed after resuming", () -> slow.records.size() == 1200);
        slow.verify();
        fast.verify();
    }

    @Test
    void latestDeliversOnlyWhatIsAppendedAfterTheOpen() throws Exception {
        put("old", 100);
        Probe probe = new Probe();
        Feed feed = open(FeedRequest.of("orders", FeedStart.latest()), probe);
        feed.request(Feed.UNBOUNDED);
        List<PutResult> fresh = put("new", 60);
        eventually("the new records", () -> probe.records.size() == 60);
        stays("nothing else", () -> probe.records.size() == 60);
        assertEquals(new java.util.HashSet<>(sequenceNumbers(fresh)), probe.verify().keySet());
    }

    @Test
    void aSequenceNumberStartsItsShardThereAndTheOtherShardsAtTheirOldest() throws Exception {
        List<PutResult> all = put("a", 400);
        PutResult pick = all.stream().filter(r -> r.shardId().equals("shardId-000000000002")).skip(20)
                .findFirst().orElseThrow();
        for (boolean after : new boolean[] {false, true}) {
            Probe probe = new Probe();
            Feed feed = open(FeedRequest.of("orders", after ? FeedStart.afterSequenceNumber(pick.sequenceNumber())
                    : FeedStart.atSequenceNumber(pick.sequenceNumber())), probe);
            feed.request(Feed.UNBOUNDED);
            List<String> expected = all.stream().filter(r -> !r.shardId().equals(pick.shardId())
                    || r.sequenceNumber().compareTo(pick.sequenceNumber()) > 0
                    || !after && r.sequenceNumber().equals(pick.sequenceNumber())).map(PutResult::sequenceNumber).toList();
            eventually("the records from the start", () -> probe.records.size() == expected.size());
            assertEquals(new java.util.HashSet<>(expected), probe.verify().keySet());
            feed.close();
        }
    }

    @Test
    void chosenShardsOnly() throws Exception {
        List<PutResult> all = put("a", 300);
        Probe probe = new Probe();
        Feed feed = open(new FeedRequest("orders", List.of("shardId-000000000001"), FeedStart.trimHorizon(), null,
                null), probe);
        feed.request(Feed.UNBOUNDED);
        long expected = all.stream().filter(r -> r.shardId().equals("shardId-000000000001")).count();
        eventually("the shard's records", () -> probe.records.size() == expected);
        assertEquals(List.of("shardId-000000000001"), probe.shards.get(0).shardIds());
        assertTrue(probe.verify().values().stream().allMatch("shardId-000000000001"::equals));
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(streams.feeds().open(new FeedRequest("orders",
                List.of("shardId-000000000009"), FeedStart.trimHorizon(), null, null), new Probe())).code());
    }

    @Test
    void theKeyFilterSkipsOtherKeysWithoutSpendingDemand() throws Exception {
        put("a", 370); // keys a0 .. a36, ten records each
        Probe probe = new Probe();
        Feed feed = open(new FeedRequest("orders", null, FeedStart.trimHorizon(), null, "a7"::equals), probe);
        feed.request(6);
        eventually("six records of the key", () -> probe.records.size() == 6);
        stays("no more than the demand", () -> probe.records.size() == 6);
        feed.request(100);
        eventually("all ten", () -> probe.records.size() == 10);
        assertTrue(probe.records.stream().allMatch(r -> r.partitionKey().equals("a7")));
        probe.verify();
    }

    @Test
    void badStartsAndUnknownStreamsAreRefused() throws Exception {
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND,
                failure(streams.feeds().open(FeedRequest.of("nope", FeedStart.trimHorizon()), new Probe())).code());
        await(streams.createStream(new CreateStreamRequest("other", 1, StreamMode.PROVISIONED, Map.of())));
        String foreign = await(streams.putRecord("other", PutEntry.of("k", null, new byte[] {1}))).sequenceNumber();
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.feeds().open(
                FeedRequest.of("orders", FeedStart.atSequenceNumber(foreign)), new Probe())).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(streams.feeds().open(
                FeedRequest.of("orders", FeedStart.atSequenceNumber("12x")), new Probe())).code());
    }

    @Test
    void aGroupResumesAfterItsCheckpointsAndSplitsTheShards() throws Exception {
        put("a", 200);
        Probe first = new Probe();
        Feed member = open(new FeedRequest("orders", null, FeedStart.trimHorizon(), "billing", null), first);
        member.request(Feed.UNBOUNDED);
        eventually("the backlog", () -> first.records.size() == 200);
        FeedShards assigned = first.shards.get(first.shards.size() - 1);
        assertEquals(FOUR_SHARDS, assigned.shardIds());
        assertEquals("billing", assigned.assignment().group());
        Map<String, String> last = new HashMap<>();
        for (FeedBatch b : first.batches) {
            last.put(b.shardId(), b.records().get(b.records().size() - 1).sequenceNumber());
        }
        for (Map.Entry<String, String> e : last.entrySet()) {
            await(member.checkpoint(e.getKey(), e.getValue()));
        }
        Probe second = new Probe();
        Feed other = open(new FeedRequest("orders", null, FeedStart.trimHorizon(), "billing", null), second);
        other.request(Feed.UNBOUNDED);
        eventually("a rebalance to two members", () -> second.shards.stream()
                .anyMatch(s -> s.assignment().memberCount() == 2 && s.shardIds().size() == 2));
        List<PutResult> fresh = put("b", 100);
        eventually("the new records, once across the members", () -> first.records.size() - 200
                + second.records.size() == 100);
        member.close();
        other.close();
        Probe third = new Probe();
        Feed resumed = open(new FeedRequest("orders", null, FeedStart.trimHorizon(), "billing", null), third);
        resumed.request(Feed.UNBOUNDED);
        // No checkpoints after the first 200: the new 100 come again (at least once), the old ones do not.
        eventually("the records after the checkpoints", () -> third.records.size() == 100);
        assertEquals(new java.util.HashSet<>(sequenceNumbers(fresh)), third.verify().keySet());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(open(FeedRequest.of("orders", FeedStart.latest()),
                new Probe()).checkpoint("shardId-000000000000", fresh.get(0).sequenceNumber())).code());
    }

    @Test
    void deletingTheStreamEndsTheFeed() throws Exception {
        put("a", 50);
        Probe probe = new Probe();
        Feed feed = open(FeedRequest.of("orders", FeedStart.trimHorizon()), probe);
        feed.request(Feed.UNBOUNDED);
        eventually("the records", () -> probe.records.size() == 50);
        await(streams.deleteStream("orders", false));
        eventually("the end", () -> !probe.ends.isEmpty());
        assertSame(FeedEnd.Reason.STREAM_DELETED, probe.ends.get(0).reason());
        stays("one end only", () -> probe.ends.size() == 1);
    }

    @Test
    void aWholeStreamFeedCrossesSplitsAndMergesOnceInOrderPerKey() throws Exception {
        Probe probe = new Probe();
        Feed feed = open(FeedRequest.of("orders", FeedStart.trimHorizon()), probe);
        feed.request(Feed.UNBOUNDED);
        List<PutResult> acked = new ArrayList<>();
        Map<String, List<String>> perKey = new HashMap<>();
        List<PutEntry> batch = new ArrayList<>();
        Runnable[] reshards = {
            () -> reshard(streams.splitShard("orders", "shardId-000000000000", "42535295865117307932921825928971026432")),
            () -> reshard(streams.splitShard("orders", "shardId-000000000001", "127605887595351923798765477786913079296")),
            // shardId-000000000005 (upper half of the first split) and -000000000006 (lower half of the second)
            () -> reshard(streams.mergeShards("orders", "shardId-000000000005", "shardId-000000000006")),
        };
        for (int round = 0; round < 40; round++) {
            batch.clear();
            for (int i = 0; i < 25; i++) {
                batch.add(PutEntry.of("key-" + (i % 20), null, ("r" + round + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            List<PutResult> results = await(streams.putRecords("orders", batch));
            for (int i = 0; i < results.size(); i++) {
                acked.add(results.get(i));
                perKey.computeIfAbsent(batch.get(i).partitionKey(), k -> new ArrayList<>())
                        .add(results.get(i).sequenceNumber());
            }
            if (round % 10 == 5 && round / 10 < reshards.length) {
                reshards[round / 10].run();
            }
        }
        eventually("every record across the reshards", () -> probe.records.size() == acked.size());
        stays("no duplicates", () -> probe.records.size() == acked.size());
        probe.verify();
        Map<String, List<String>> seen = new HashMap<>();
        for (Record r : probe.records) {
            seen.computeIfAbsent(r.partitionKey(), k -> new ArrayList<>()).add(r.sequenceNumber());
        }
        for (Map.Entry<String, List<String>> e : perKey.entrySet()) {
            List<String> got = new ArrayList<>(seen.get(e.getKey()));
            assertEquals(e.getValue(), got, "order of " + e.getKey());
        }
        List<String> last = probe.shards.get(probe.shards.size() - 1).shardIds();
        assertEquals(List.of("shardId-000000000002", "shardId-000000000003", "shardId-000000000004",
                "shardId-000000000007", "shardId-000000000008"), last, "the open shards, parents done");
        feed.close();
    }

    /**
     * Two members of a group, each checkpointing every batch it gets, while the stream is split and merged: every
     * record reaches the group once, and a key's records in order (a child is dealt only once its parents are
     * finished: read to the end and checkpointed).
     */
    @Test
    void aGroupCrossesSplitsAndMergesExactlyOnceInOrderPerKey() throws Exception {
        List<Record> received = new CopyOnWriteArrayList<>();
        List<Feed> members = new ArrayList<>();
        List<Probe> probes = new ArrayList<>();
        for (int m = 0; m < 2; m++) {
            Feed[] self = new Feed[1];
            Probe probe = new Probe() {
                @Override
                public void records(FeedBatch batch) {
                    super.records(batch);
                    received.addAll(batch.records());
                    self[0].checkpoint(batch.shardId(), batch.records().get(batch.records().size() - 1).sequenceNumber());
                }
            };
            self[0] = open(new FeedRequest("orders", null, FeedStart.trimHorizon(), "billing", null), probe);
            self[0].request(Feed.UNBOUNDED);
            members.add(self[0]);
            probes.add(probe);
        }
        Map<String, List<String>> perKey = new HashMap<>();
        long total = 0;
        for (int round = 0; round < 30; round++) {
            List<PutEntry> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                batch.add(PutEntry.of("key-" + i, null, ("r" + round + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            List<PutResult> results = await(streams.putRecords("orders", batch));
            for (int i = 0; i < results.size(); i++) {
                perKey.computeIfAbsent(batch.get(i).partitionKey(), k -> new ArrayList<>())
                        .add(results.get(i).sequenceNumber());
            }
            total += results.size();
            if (round == 8) {
                reshard(streams.splitShard("orders", "shardId-000000000000", "42535295865117307932921825928971026432"));
            } else if (round == 16) {
                reshard(streams.splitShard("orders", "shardId-000000000001", "127605887595351923798765477786913079296"));
            } else if (round == 22) {
                reshard(streams.mergeShards("orders", "shardId-000000000005", "shardId-000000000006"));
            }
        }
        long expected = total;
        eventually("every record, once across the members", () -> received.size() == expected);
        stays("no duplicates", () -> received.size() == expected);
        Map<String, List<String>> seen = new HashMap<>();
        java.util.Set<String> unique = new java.util.HashSet<>();
        for (Record r : received) {
            assertTrue(unique.add(r.sequenceNumber()), "delivered twice: " + r.sequenceNumber());
            seen.computeIfAbsent(r.partitionKey(), k -> new ArrayList<>()).add(r.sequenceNumber());
        }
        assertEquals(perKey, seen, "each key's records in order");
        eventually("the open shards dealt", () -> {
            java.util.Set<String> dealt = new java.util.TreeSet<>();
            for (Probe p : probes) {
                dealt.addAll(p.shards.get(p.shards.size() - 1).shardIds());
            }
            return dealt.equals(new java.util.TreeSet<>(List.of("shardId-000000000002", "shardId-000000000003",
                    "shardId-000000000004", "shardId-000000000007", "shardId-000000000008")));
        });
        members.forEach(Feed::close);
    }

    private static void reshard(io.vertx.core.Future<Void> reshard) {
        try {
            await(reshard);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Feeds that caught up with a shard share its tail: the storage reads per appended batch do not grow with the
     * number of feeds (1, 10, 100). Prints the figures; the bound is the point, not the timing.
     */
    @Test
    void caughtUpFeedsAddNoStorageReadPerAppend() throws Exception {
        await(streams.createStream(new CreateStreamRequest("one", 1, StreamMode.PROVISIONED, Map.of())));
        StreamsImpl impl = (StreamsImpl) streams;
        int batches = 200;
        for (int feeds : new int[] {1, 10, 100}) {
            List<Probe> probes = new ArrayList<>();
            List<Feed> open = new ArrayList<>();
            for (int i = 0; i < feeds; i++) {
                Probe p = new Probe();
                Feed f = open(FeedRequest.of("one", FeedStart.latest()), p);
                f.request(Feed.UNBOUNDED);
                probes.add(p);
                open.add(f);
            }
            // Let every feed make its first read and join the tail.
            await(streams.putRecord("one", PutEntry.of("k", null, new byte[] {1})));
            for (Probe p : probes) {
                eventually("the first record", () -> p.records.size() == 1);
            }
            long before = impl.feedReads();
            for (int b = 0; b < batches; b++) {
                List<PutEntry> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    batch.add(PutEntry.of("k" + i, null, ("b" + b).getBytes(StandardCharsets.UTF_8)));
                }
                await(streams.putRecords("one", batch));
            }
            for (Probe p : probes) {
                eventually("every batch", () -> p.records.size() == 1 + 5 * batches);
            }
            long reads = impl.feedReads() - before;
            System.out.printf("feeds on one shard: %d, batches appended: %d, storage reads: %d (%.2f per batch)%n",
                    feeds, batches, reads, reads / (double) batches);
            assertTrue(reads <= batches + 5, feeds + " feeds made " + reads + " reads for " + batches + " batches");
            open.forEach(Feed::close);
        }
    }

    @Test
    void manyFeedsFollowTheSameShardsLive() throws Exception {
        List<Probe> probes = new ArrayList<>();
        List<Feed> feeds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Probe p = new Probe();
            probes.add(p);
            Feed f = open(FeedRequest.of("orders", FeedStart.trimHorizon()), p);
            f.request(i % 2 == 0 ? Feed.UNBOUNDED : 1_000_000);
            feeds.add(f);
        }
        for (int i = 0; i < 30; i++) {
            put("k" + i + "-", 40);
        }
        for (Probe p : probes) {
            eventually("every feed", () -> p.records.size() == 1200);
            assertEquals(1200, p.verify().size());
        }
        feeds.forEach(Feed::close);
    }
}
