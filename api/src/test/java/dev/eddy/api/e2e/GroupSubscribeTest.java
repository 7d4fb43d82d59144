package dev.eddy.api.e2e;

import dev.eddy.api.TestBackends;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Consumer groups over the wire: members with the Vert.x and the JDK WebSocket clients split the shards,
 * checkpoint, take over a killed member's shards after its last checkpoint, drop a silent member, and resume
 * after a server restart; the REST view of groups. Records are written with the AWS SDK v2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupSubscribeTest extends AbstractSdkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** What a put record is: its number (the data {@code {"n": i}}), shard and sequence number. */
    private record Put(int n, String shardId, String sequenceNumber) {
    }

    private List<Put> put(String stream, int from, int to) {
        List<Put> puts = new ArrayList<>();
        for (int start = from; start < to; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("agg-" + (i % 97))
                        .data(SdkBytes.fromUtf8String("{\"n\":" + i + "}")).build());
            }
            PutRecordsResponse response = client.putRecords(b -> b.streamName(stream).records(entries));
            assertEquals(0, response.failedRecordCount());
            List<PutRecordsResultEntry> results = response.records();
            for (int k = 0; k < results.size(); k++) {
                puts.add(new Put(start + k, results.get(k).shardId(), results.get(k).sequenceNumber()));
            }
        }
        return puts;
    }

    private static String uri(String stream, String query) {
        return "/v1/streams/" + stream + "/subscribe?" + query;
    }

    private static Predicate<JsonObject> shardsFrame(Predicate<JsonObject> and) {
        return f -> "shards".equals(f.getString("frame")) && and.test(f);
    }

    private static List<String> shardsOf(JsonObject shardsFrame) {
        return shardsFrame.getJsonArray("shards").stream().map(String::valueOf).toList();
    }

    /** The event frames that arrived after the first frame matching {@code after}, in order. */
    private static List<JsonObject> eventsAfter(WsSubscriber s, Predicate<JsonObject> after) {
        List<JsonObject> out = new ArrayList<>();
        boolean seen = false;
        for (JsonObject f : s.frames()) {
            if (seen && "event".equals(f.getString("frame"))) {
                out.add(f);
            } else if (!seen && after.test(f)) {
                seen = true;
            }
        }
        return out;
    }

    private static int n(JsonObject event) {
        return event.getJsonObject("data").getInteger("n");
    }

    /** Waits until the members together have received every number in {@code expected}. */
    private static void awaitAll(Set<Integer> expected, WsSubscriber... members) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Set<Integer> got = new HashSet<>();
            for (WsSubscriber m : members) {
                m.events().forEach(e -> got.add(n(e)));
            }
            if (got.containsAll(expected)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                Set<Integer> missing = new HashSet<>(expected);
                missing.removeAll(got);
                fail(missing.size() + " events never arrived, e.g. " + missing.stream().limit(10).toList());
            }
            Thread.sleep(20);
        }
    }

    private static Set<Integer> numbers(List<Put> puts, Predicate<Put> which) {
        Set<Integer> out = new HashSet<>();
        puts.stream().filter(which).forEach(p -> out.add(p.n()));
        return out;
    }

    /** Checkpoints and waits for the server's acknowledgement (the checkpoint is then durable). */
    private static void checkpoint(WsSubscriber s, String shardId, String sequenceNumber) {
        s.send("{\"checkpoint\": {\"shardId\": \"" + shardId + "\", \"sequenceNumber\": \"" + sequenceNumber + "\"}}");
        s.awaitFrame(f -> "checkpoint".equals(f.getString("frame")) && shardId.equals(f.getString("shardId"))
                && sequenceNumber.equals(f.getString("sequenceNumber")), WAIT);
    }

    private static void assertInShardOrder(List<JsonObject> events) {
        Map<String, BigInteger> last = new HashMap<>();
        for (JsonObject e : events) {
            BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
            BigInteger before = last.put(e.getString("shardId"), seq);
            assertTrue(before == null || before.compareTo(seq) < 0, "out of order in " + e.getString("shardId"));
        }
    }

    @Test
    void membersSplitTheShardsAndTheSurvivorResumesAKilledMembersShardsAfterItsLastCheckpoint() throws Exception {
        String stream = "groups-kill";
        Shards.createStream(client, stream, 4);
        String uri = uri(stream, "group=billing&from=TRIM_HORIZON");
        try (WsSubscriber a = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            assertEquals(4, shardsOf(a.awaitFrame(shardsFrame(f -> f.getInteger("members") == 1), WAIT)).size());
            WsSubscriber b = WsSubscriber.jdk(eddy.port(), uri, false);
            JsonObject bFrame = b.awaitFrame(shardsFrame(f -> true), WAIT);
            long split = bFrame.getLong("generation");
            JsonObject aFrame = a.awaitFrame(shardsFrame(f -> f.getLong("generation") == split), WAIT);
            List<String> aShards = shardsOf(aFrame);
            List<String> bShards = shardsOf(bFrame);
            assertEquals(2, aShards.size());
            assertEquals(2, bShards.size());
            assertEquals(2, bFrame.getInteger("members"));
            assertTrue(aShards.stream().noneMatch(bShards::contains), aShards + " / " + bShards);

            // Phase 1: both members get their own shards' events, and nothing twice.
            List<Put> first = put(stream, 0, 1000);
            awaitAll(numbers(first, p -> true), a, b);
            Set<Integer> fromA = new HashSet<>();
            eventsAfter(a, f -> f == aFrame || f.equals(aFrame)).forEach(e -> fromA.add(n(e)));
            assertEquals(numbers(first, p -> aShards.contains(p.shardId())), fromA);
            assertEquals(numbers(first, p -> bShards.contains(p.shardId())),
                    new HashSet<>(b.events().stream().map(GroupSubscribeTest::n).toList()));

            // Phase 2: B checkpoints half-way through its new events, then is killed (connection aborted).
            List<Put> second = put(stream, 1000, 2000);
            awaitAll(numbers(second, p -> true), a, b);
            Map<String, String> bCheckpoints = new TreeMap<>();
            for (String shardId : bShards) {
                List<Put> onShard = second.stream().filter(p -> p.shardId().equals(shardId)).toList();
                bCheckpoints.put(shardId, onShard.get(onShard.size() / 2).sequenceNumber());
            }
            bCheckpoints.forEach((shardId, seq) -> checkpoint(b, shardId, seq));
            // B may not checkpoint A's shards.
            b.send("{\"checkpoint\": {\"shardId\": \"" + aShards.get(0) + "\", \"sequenceNumber\": \""
                    + first.stream().filter(p -> p.shardId().equals(aShards.get(0))).findFirst().orElseThrow()
                    .sequenceNumber() + "\"}}");
            assertEquals("NotAssigned", b.awaitFrame(f -> "error".equals(f.getString("frame")), WAIT).getString("code"));

            // Phase 3, mid-stream: a producer keeps appending while B's connection is cut without a close
            // handshake (as when its process is killed) half-way through.
            List<Put> third = Collections.synchronizedList(new ArrayList<>());
            Thread producer = new Thread(() -> {
                for (int i = 2000; i < 2600; i += 20) {
                    third.addAll(put(stream, i, i + 20));
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            producer.start();
            while (third.size() < 300 && producer.isAlive()) {
                Thread.sleep(1);
            }
            b.close();
            producer.join(WAIT.toMillis());
            assertEquals(600, third.size());

            JsonObject takeover = a.awaitFrame(shardsFrame(f -> f.getLong("generation") > split
                    && f.getInteger("members") == 1), WAIT);
            assertEquals(4, shardsOf(takeover).size());
            assertEquals(bCheckpoints, new TreeMap<>(takeover.getJsonObject("checkpoints").getMap()));

            // A re-reads B's shards exactly from after B's checkpoints: what B had not acknowledged, nothing before.
            List<Put> all = new ArrayList<>(first);
            all.addAll(second);
            all.addAll(third);
            Set<Integer> expectedTakeover = new HashSet<>();
            for (Put p : all) {
                String cp = bCheckpoints.get(p.shardId());
                if (cp != null && new BigInteger(p.sequenceNumber()).compareTo(new BigInteger(cp)) > 0) {
                    expectedTakeover.add(p.n());
                }
            }
            awaitAll(numbers(third, p -> true), a);
            awaitAll(expectedTakeover, a);
            Thread.sleep(200);
            List<JsonObject> afterTakeover = eventsAfter(a, f -> f.equals(takeover));
            Set<Integer> takenOver = new HashSet<>();
            for (JsonObject e : afterTakeover) {
                if (bShards.contains(e.getString("shardId"))) {
                    assertTrue(takenOver.add(n(e)), "re-delivered twice after the takeover: " + e);
                }
            }
            assertEquals(expectedTakeover, takenOver, "exactly the events after B's last checkpoints");
            assertInShardOrder(afterTakeover);
            // A's own shards were never re-delivered.
            List<Integer> aOwn = a.events().stream().filter(e -> aShards.contains(e.getString("shardId")))
                    .map(GroupSubscribeTest::n).toList();
            assertEquals(aOwn.size(), new HashSet<>(aOwn).size(), "duplicates on A's own shards");
            assertInShardOrder(a.events().stream().filter(e -> aShards.contains(e.getString("shardId"))).toList());
        }
    }

    @Test
    void aMemberThatAnswersNoPingIsDroppedAndItsShardsMove() throws Exception {
        String stream = "groups-silent";
        Shards.createStream(client, stream, 2);
        String uri = uri(stream, "group=audit&from=TRIM_HORIZON&sessionTimeoutMs=1000");
        try (WsSubscriber live = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            live.awaitFrame(shardsFrame(f -> f.getInteger("members") == 1), WAIT);
            try (WsSubscriber silent = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, true)) {
                JsonObject split = live.awaitFrame(shardsFrame(f -> f.getInteger("members") == 2), WAIT);
                assertEquals(1, shardsOf(split).size());
                // The silent member never reads, so it never answers the server's pings.
                JsonObject back = live.awaitFrame(shardsFrame(f -> f.getLong("generation") > split.getLong("generation")),
                        WAIT);
                assertEquals(1, back.getInteger("members"));
                assertEquals(2, shardsOf(back).size());
            }
            List<Put> puts = put(stream, 0, 50);
            awaitAll(numbers(puts, p -> true), live);
            // The live member answers pings (its client does so by itself) and stays.
            Thread.sleep(2500);
            assertTrue(live.closed.getNow(null) == null, "a member that answers pings is kept");
        }
    }

    @Test
    void checkpointErrorsAndTheRestViewOfGroups() throws Exception {
        String stream = "groups-rest";
        Shards.createStream(client, stream, 2);
        RestClient rest = new RestClient(eddy.endpoint());
        List<Put> puts = put(stream, 0, 20);
        String uri = uri(stream, "group=ops&from=TRIM_HORIZON");
        try (WsSubscriber a = WsSubscriber.jdk(eddy.port(), uri, false);
             WsSubscriber b = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            JsonObject bFrame = b.awaitFrame(shardsFrame(f -> true), WAIT);
            JsonObject aFrame = a.awaitFrame(shardsFrame(f -> f.getInteger("members") == 2), WAIT);
            String aShard = shardsOf(aFrame).get(0);
            String bShard = shardsOf(bFrame).get(0);
            awaitAll(numbers(puts, p -> true), a, b);
            Put onA = puts.stream().filter(p -> p.shardId().equals(aShard)).reduce((x, y) -> y).orElseThrow();
            Put onB = puts.stream().filter(p -> p.shardId().equals(bShard)).findFirst().orElseThrow();

            a.send("{\"checkpoint\": {\"shardId\": \"" + aShard + "\", \"sequenceNumber\": \"garbage\"}}");
            a.send("{\"checkpoint\": {\"shardId\": \"" + aShard + "\", \"sequenceNumber\": \"" + onB.sequenceNumber()
                    + "\"}}");
            a.send("{\"checkpoint\": {\"shardId\": \"" + bShard + "\", \"sequenceNumber\": \"" + onB.sequenceNumber()
                    + "\"}}");
            a.send("{\"checkpoint\": \"" + onA.sequenceNumber() + "\"}");
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<String> codes = List.of();
            while (codes.size() < 4 && System.nanoTime() < deadline) {
                codes = a.frames().stream().filter(f -> "error".equals(f.getString("frame")))
                        .map(f -> f.getString("code")).toList();
                Thread.sleep(10);
            }
            assertEquals(Set.of("InvalidCheckpoint", "NotAssigned", "InvalidMessage"), new HashSet<>(codes));
            assertEquals(4, codes.size(), codes.toString());
            checkpoint(a, aShard, onA.sequenceNumber());

            RestClient.Reply group = rest.get("/v1/streams/" + stream + "/groups/ops");
            assertEquals(200, group.status());
            assertEquals(2, group.body().path("members").size());
            assertEquals(onA.sequenceNumber(), group.body().path("checkpoints").path(aShard).asText());
            assertEquals(1, group.body().path("checkpoints").size(), "refused checkpoints were not stored");
            RestClient.Reply list = rest.get("/v1/streams/" + stream + "/groups");
            assertEquals(200, list.status());
            assertEquals("ops", list.body().path("groups").path(0).path("group").asText());
            RestClient.Reply inUse = rest.delete("/v1/streams/" + stream + "/groups/ops");
            assertEquals(409, inUse.status());
            assertEquals("application/problem+json", inUse.contentType());
        }
        // Both sockets closed: the group has no members, its checkpoint stays until deleted.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (rest.get("/v1/streams/" + stream + "/groups/ops").body().path("members").size() > 0) {
            assertTrue(System.nanoTime() < deadline, "members never left");
            Thread.sleep(20);
        }
        assertEquals(204, rest.delete("/v1/streams/" + stream + "/groups/ops").status());
        RestClient.Reply forgotten = rest.get("/v1/streams/" + stream + "/groups/ops");
        assertEquals(404, forgotten.status());
        assertTrue(forgotten.body().path("key").isMissingNode(), "a group is not an aggregate key: " + forgotten.body());
        assertEquals(404, rest.get("/v1/streams/nosuch/groups").status());
        assertEquals(400, rest.get("/v1/streams/" + stream + "/groups/bad%2Fname").status());
    }

    @Test
    void aServerRestartResumesFromTheStoredCheckpoints() throws Exception {
        assumeFalse(TestBackends.storage().equals("memory"), "the memory backend keeps nothing across a restart");
        String stream = "groups-restart";
        Shards.createStream(client, stream, 2);
        List<Put> before = put(stream, 0, 200);
        String uri = uri(stream, "group=reports&from=TRIM_HORIZON");
        Map<String, String> checkpoints = new LinkedHashMap<>();
        try (WsSubscriber a = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
            awaitAll(numbers(before, p -> true), a);
            for (String shardId : List.of("shardId-000000000000", "shardId-000000000001")) {
                List<Put> onShard = before.stream().filter(p -> p.shardId().equals(shardId)).toList();
                checkpoints.put(shardId, onShard.get(onShard.size() / 3).sequenceNumber());
            }
            checkpoints.forEach((shardId, seq) -> checkpoint(a, shardId, seq));
        }
        eddy.restart();
        client.close();
        client = SdkClients.syncCbor(eddy.endpoint());
        List<Put> after = put(stream, 200, 250);
        Set<Integer> expected = new HashSet<>(numbers(after, p -> true));
        for (Put p : before) {
            if (new BigInteger(p.sequenceNumber()).compareTo(new BigInteger(checkpoints.get(p.shardId()))) > 0) {
                expected.add(p.n());
            }
        }
        try (WsSubscriber b = WsSubscriber.jdk(eddy.port(), uri, false)) {
            JsonObject frame = b.awaitFrame(shardsFrame(f -> true), WAIT);
            assertEquals(checkpoints, new TreeMap<>(frame.getJsonObject("checkpoints").getMap()));
            awaitAll(expected, b);
            Thread.sleep(200);
            List<Integer> got = b.events().stream().map(GroupSubscribeTest::n).toList();
            assertEquals(expected, new HashSet<>(got), "exactly what came after the checkpoints");
            assertEquals(got.size(), new HashSet<>(got).size(), "no duplicates");
            assertInShardOrder(b.events());
        }
    }
}
