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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A WebSocket consumer group of two members across a split, a server restart and a merge: every record reaches
 * the group exactly once (the members checkpoint what they received before each step) and a key's records in
 * order. Records are written with the AWS SDK v2; MapDB and PostgreSQL (the memory backend forgets on restart).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupReshardTest extends AbstractSdkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String STREAM = "group-reshard";
    private static final String URI = "/v1/streams/" + STREAM + "/subscribe?group=billing&from=TRIM_HORIZON";

    private int put(int from, int count) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            entries.add(PutRecordsRequestEntry.builder().partitionKey("agg-" + (i % 31))
                    .data(SdkBytes.fromUtf8String("{\"n\":" + i + "}")).build());
        }
        PutRecordsResponse response = client.putRecords(b -> b.streamName(STREAM).records(entries));
        assertEquals(0, response.failedRecordCount());
        return from + count;
    }

    /** The shards the member's latest {@code shards} frame gives it. */
    private static Set<String> assigned(WsSubscriber m) {
        JsonObject last = null;
        for (JsonObject f : m.frames()) {
            if ("shards".equals(f.getString("frame"))) {
                last = f;
            }
        }
        Set<String> out = new HashSet<>();
        if (last != null) {
            last.getJsonArray("shards").forEach(s -> out.add(String.valueOf(s)));
        }
        return out;
    }

    /**
     * Waits until the members together received every number from {@code from} to below {@code upTo}, checkpointing
     * as it goes (each member its assigned shards' newest event), until nothing is left unacknowledged.
     */
    private void drain(int from, int upTo, List<WsSubscriber> members) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<WsSubscriber, Map<String, String>> acknowledged = new HashMap<>();
        while (true) {
            Set<Integer> got = new HashSet<>();
            boolean settled = true;
            for (WsSubscriber m : members) {
                Map<String, BigInteger> newest = new HashMap<>();
                for (JsonObject e : m.events()) {
                    got.add(e.getJsonObject("data").getInteger("n"));
                    newest.merge(e.getString("shardId"), new BigInteger(e.getString("sequenceNumber")), BigInteger::max);
                }
                Map<String, String> done = acknowledged.computeIfAbsent(m, k -> new HashMap<>());
                Set<String> mine = assigned(m);
                for (Map.Entry<String, BigInteger> e : newest.entrySet()) {
                    String seq = e.getValue().toString();
                    if (mine.contains(e.getKey()) && !seq.equals(done.get(e.getKey()))) {
                        settled = false;
                        m.send("{\"checkpoint\": {\"shardId\": \"" + e.getKey() + "\", \"sequenceNumber\": \"" + seq
                                + "\"}}");
                        m.awaitFrame(f -> "checkpoint".equals(f.getString("frame"))
                                && e.getKey().equals(f.getString("shardId")) && seq.equals(f.getString("sequenceNumber")),
                                WAIT);
                        done.put(e.getKey(), seq);
                    }
                }
            }
            long missing = java.util.stream.IntStream.range(from, upTo).filter(i -> !got.contains(i)).count();
            if (settled && missing == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("the group is missing " + missing + " of the records " + from + " to " + (upTo - 1));
            }
            Thread.sleep(50);
        }
    }

    /** Every number below {@code upTo} exactly once across all members ever connected; per key in order. */
    private static void assertExactlyOnceInOrder(int upTo, List<WsSubscriber> everyone) {
        Map<Integer, Integer> times = new HashMap<>();
        Map<String, List<Integer>> perKey = new HashMap<>();
        for (WsSubscriber m : everyone) {
            for (JsonObject e : m.events()) {
                int n = e.getJsonObject("data").getInteger("n");
                times.merge(n, 1, Integer::sum);
                perKey.computeIfAbsent(e.getString("partitionKey"), k -> new ArrayList<>()).add(n);
            }
        }
        for (int n = 0; n < upTo; n++) {
            assertEquals(1, times.getOrDefault(n, 0), "record " + n + " delivered to the group this many times");
        }
        assertEquals(upTo, times.size());
        for (Map.Entry<String, List<Integer>> e : perKey.entrySet()) {
            List<Integer> sorted = new ArrayList<>(e.getValue());
            sorted.sort(null);
            if (!sorted.equals(e.getValue())) {
                // Different members' frames interleave in this list; each member's own must be in order.
                for (WsSubscriber m : everyone) {
                    List<Integer> own = m.events().stream().filter(x -> e.getKey().equals(x.getString("partitionKey")))
                            .map(x -> x.getJsonObject("data").getInteger("n")).toList();
                    List<Integer> ownSorted = new ArrayList<>(own);
                    ownSorted.sort(null);
                    assertEquals(ownSorted, own, "order of " + e.getKey());
                }
            }
        }
    }

    @Test
    void twoMembersReadEveryRecordOnceAcrossASplitARestartAndAMerge() throws Exception {
        assumeFalse("memory".equals(TestBackends.storage()), "the memory backend forgets on restart");
        Shards.createStream(client, STREAM, 2);
        List<WsSubscriber> everyone = new ArrayList<>();
        List<WsSubscriber> members = new ArrayList<>(List.of(
                WsSubscriber.vertx(eddy.vertx(), eddy.port(), URI, false),
                WsSubscriber.jdk(eddy.port(), URI, false)));
        everyone.addAll(members);
        int n = put(0, 300);
        drain(0, n, members);

        client.splitShard(b -> b.streamName(STREAM).shardToSplit("shardId-000000000000")
                .newStartingHashKey("85070591730234615865843651857942052864"));
        int before = n;
        n = put(n, 300);
        drain(before, n, members);
        Set<String> dealt = new HashSet<>();
        members.forEach(m -> dealt.addAll(assigned(m)));
        assertEquals(Set.of("shardId-000000000001", "shardId-000000000002", "shardId-000000000003"), dealt,
                "the parent finished, its children dealt");

        for (WsSubscriber m : members) {
            m.close();
        }
        eddy.restart();
        client.close();
        client = SdkClients.syncCbor(eddy.endpoint());
        members = new ArrayList<>(List.of(
                WsSubscriber.vertx(eddy.vertx(), eddy.port(), URI, false),
                WsSubscriber.jdk(eddy.port(), URI, false)));
        everyone.addAll(members);
        before = n;
        n = put(n, 200);
        drain(before, n, members);

        client.mergeShards(b -> b.streamName(STREAM).shardToMerge("shardId-000000000002")
                .adjacentShardToMerge("shardId-000000000003"));
        before = n;
        n = put(n, 300);
        drain(before, n, members);
        dealt.clear();
        members.forEach(m -> dealt.addAll(assigned(m)));
        assertEquals(Set.of("shardId-000000000001", "shardId-000000000004"), dealt);
        assertExactlyOnceInOrder(n, everyone);
        for (WsSubscriber m : members) {
            m.close();
        }
    }
}
