package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eddy.api.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Event-sourced aggregates over REST while their stream is split and merged (and, on the durable backends,
 * restarted): versions continue where they were, expected versions are checked against them, an aggregate's
 * history reads back whole from version 0 across the shards it lived in, and a retry of an append made before a
 * reshard is answered with the original events.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestReshardEventsTest extends AbstractSdkTest {

    private static final String STREAM = "orders-resharded";
    private static final int AGGREGATES = 24;
    private static final String MIDDLE = "170141183460469231731687303715884105728";

    /** Each aggregate's events so far, in version order: "id" of each. */
    private final Map<String, List<String>> written = new HashMap<>();
    /** The original answer of each aggregate's first append (to retry it later). */
    private final Map<String, JsonNode> firstAnswers = new HashMap<>();
    private RestClient rest;

    private static String key(int i) {
        return "order-" + i;
    }

    /** Appends {@code count} events to every aggregate, each expecting the version it last wrote. */
    private void round(int count) {
        for (int i = 0; i < AGGREGATES; i++) {
            String key = key(i);
            List<String> ids = written.computeIfAbsent(key, k -> new ArrayList<>());
            String expected = ids.isEmpty() ? "\"none\"" : String.valueOf(ids.size() - 1);
            StringBuilder events = new StringBuilder();
            List<String> newIds = new ArrayList<>();
            for (int e = 0; e < count; e++) {
                String id = key + "-" + (ids.size() + e);
                newIds.add(id);
                events.append(e == 0 ? "" : ",").append("{\"id\":\"").append(id)
                        .append("\",\"type\":\"Changed\",\"data\":{\"n\":").append(ids.size() + e).append("}}");
            }
            RestClient.Reply r = rest.post(RestClient.events(STREAM, key),
                    "{\"expectedVersion\":" + expected + ",\"events\":[" + events + "]}");
            assertEquals(201, r.status(), () -> "append to " + key + ": " + r);
            JsonNode answer = r.body().get("events");
            for (int e = 0; e < count; e++) {
                assertEquals(ids.size() + e, answer.get(e).get("version").asLong(), key + " continues its versions");
            }
            if (ids.isEmpty()) {
                firstAnswers.put(key, r.body());
            }
            ids.addAll(newIds);
        }
    }

    private List<JsonNode> history(String key, long fromVersion, int limit) {
        List<JsonNode> out = new ArrayList<>();
        long from = fromVersion;
        while (true) {
            JsonNode body = rest.get(RestClient.events(STREAM, key) + "?fromVersion=" + from + "&limit=" + limit).body();
            body.get("events").forEach(out::add);
            if (body.get("nextVersion").isNull()) {
                return out;
            }
            from = body.get("nextVersion").asLong();
        }
    }

    /** Every aggregate's whole history, read in pages of 2 (so pages straddle shards): what was written, in order. */
    private void checkHistories() {
        for (int i = 0; i < AGGREGATES; i++) {
            String key = key(i);
            List<JsonNode> history = history(key, 0, 2);
            List<String> ids = written.get(key);
            assertEquals(ids.size(), history.size(), "history length of " + key);
            for (int v = 0; v < ids.size(); v++) {
                assertEquals(v, history.get(v).get("version").asLong(), key);
                assertEquals(ids.get(v), history.get(v).get("id").asText(), key);
                assertEquals(v, history.get(v).get("data").get("n").asInt(), key);
            }
        }
    }

    /** A retry of every aggregate's first append (made before any reshard) gets the original answer, 200. */
    private void retryFirstAppends() {
        for (int i = 0; i < AGGREGATES; i++) {
            String key = key(i);
            JsonNode original = firstAnswers.get(key).get("events");
            StringBuilder events = new StringBuilder();
            for (int e = 0; e < original.size(); e++) {
                events.append(e == 0 ? "" : ",").append("{\"id\":\"").append(key).append("-").append(e)
                        .append("\",\"type\":\"Changed\",\"data\":{\"n\":").append(e).append("}}");
            }
            RestClient.Reply r = rest.post(RestClient.events(STREAM, key),
                    "{\"expectedVersion\":\"none\",\"events\":[" + events + "]}");
            assertEquals(200, r.status(), () -> "retry of " + key + ": " + r);
            assertEquals(original, r.body().get("events"), "the retry's answer is the original's");
        }
    }

    @Test
    void aggregatesKeepVersionsHistoriesAndRetriesAcrossSplitsAMergeAndARestart() {
        rest = new RestClient(eddy.endpoint());
        Shards.createStream(client, STREAM, 1);
        round(3);
        for (int i = 0; i < AGGREGATES; i++) {
            assertEquals("shardId-000000000000", firstAnswers.get(key(i)).get("events").get(0).get("shardId").asText());
        }

        client.splitShard(b -> b.streamName(STREAM).shardToSplit("shardId-000000000000").newStartingHashKey(MIDDLE));
        round(2);
        checkHistories();
        retryFirstAppends();

        // A stale expectation is refused with the aggregate's real current version, and changes nothing.
        String path = RestClient.events(STREAM, key(0));
        RestClient.Reply stale = rest.post(path, "{\"expectedVersion\":2,\"events\":[{\"data\":{\"n\":99}}]}");
        assertEquals(409, stale.status(), stale::toString);
        assertEquals(4, stale.body().get("currentVersion").asLong());
        RestClient.Reply none = rest.post(path, "{\"expectedVersion\":\"none\",\"events\":[{\"data\":{\"n\":99}}]}");
        assertEquals(409, none.status(), none::toString);
        assertEquals(4, none.body().get("currentVersion").asLong());

        // Histories straddle the parent and a child; the child's events name the child.
        List<JsonNode> straddling = history(key(0), 2, 2);
        assertEquals(3, straddling.size());
        assertEquals("shardId-000000000000", straddling.get(0).get("shardId").asText());
        assertNotEquals("shardId-000000000000", straddling.get(1).get("shardId").asText());

        client.mergeShards(b -> b.streamName(STREAM).shardToMerge("shardId-000000000001")
                .adjacentShardToMerge("shardId-000000000002"));
        round(2);
        checkHistories();
        for (int i = 0; i < AGGREGATES; i++) {
            List<JsonNode> h = history(key(i), 0, 100);
            assertEquals("shardId-000000000003", h.get(h.size() - 1).get("shardId").asText(), "merged child");
        }

        if (!"memory".equals(TestBackends.storage())) {
            eddy.restart();
            client.close();
            client = SdkClients.syncCbor(eddy.endpoint());
            rest = new RestClient(eddy.endpoint());
            round(1);
            checkHistories();
            retryFirstAppends();
        }
        int total = written.values().stream().mapToInt(List::size).sum();
        assertTrue(total >= AGGREGATES * 7);
    }
}
