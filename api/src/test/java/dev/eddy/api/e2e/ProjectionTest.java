package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.api.TestBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Projections end to end: records put with the AWS SDK, projections defined and queried over REST, every key's
 * state compared with the test's own fold (across a restart and a split too), bad definitions, a failing reducer,
 * filters and partitioning.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProjectionTest {

    private static final String ORDERS_REDUCER = "{\"count\": ((.state.count // 0) + 1), "
            + "\"total\": ((.state.total // 0) + .event.data.amount), \"last\": .event.data.amount}";

    private EddyFixture eddy;
    private KinesisClient client;
    private RestClient rest;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        connect();
    }

    private void connect() {
        client = SdkClients.syncCbor(eddy.endpoint());
        rest = new RestClient(eddy.endpoint());
    }

    @AfterAll
    void stop() {
        client.close();
        eddy.close();
    }

    @Test
    void anOrderProjectionEqualsThePlainFold() {
        Shards.createStream(client, "orders-a", 2);
        Map<String, Fold> expected = new TreeMap<>();
        put("orders-a", 0, 20_000, 97, expected);
        create(orders("orders-a-totals", "orders-a"));
        JsonNode status = awaitProcessed("orders-a-totals", 20_000);
        assertEquals("RUNNING", status.path("status").asText());
        assertEquals(2, status.path("positions").path("orders-a").size(), "a position per shard: " + status);
        assertStates(expected, "orders-a-totals");

        JsonNode one = rest.get("/v1/projections/orders-a-totals/state/order-5").body();
        assertEquals("order-5", one.path("key").asText());
        assertFold(expected.get("order-5"), one.path("state"), "order-5");
        RestClient.Reply unknown = rest.get("/v1/projections/orders-a-totals/state/no-such-key");
        assertEquals(404, unknown.status());
        assertEquals("https://eddy.dev/problems/not-found", unknown.problemType());

        assertEquals(204, rest.delete("/v1/projections/orders-a-totals").status());
        assertEquals(404, rest.get("/v1/projections/orders-a-totals").status());
        assertEquals(404, rest.delete("/v1/projections/orders-a-totals").status());
    }

    @Test
    void aRestartHalfWayCountsNothingTwiceAndSkipsNothing() {
        assumeFalse("memory".equals(TestBackends.storage()), "the memory backend forgets everything on restart");
        Shards.createStream(client, "orders-b", 2);
        Map<String, Fold> expected = new TreeMap<>();
        put("orders-b", 0, 10_000, 50, expected);
        create(orders("orders-b-totals", "orders-b"));
        long seen = awaitAtLeast("orders-b-totals", 3_000);
        assertTrue(seen >= 3_000);
        eddy.restart();
        client.close();
        connect();
        put("orders-b", 10_000, 20_000, 50, expected);
        JsonNode status = awaitProcessed("orders-b-totals", 20_000);
        assertEquals("RUNNING", status.path("status").asText());
        assertStates(expected, "orders-b-totals");

        // Once more with everything folded: the snapshot written at the stop resumes without re-counting.
        eddy.restart();
        client.close();
        connect();
        put("orders-b", 20_000, 20_500, 50, expected);
        awaitProcessed("orders-b-totals", 20_500);
        assertStates(expected, "orders-b-totals");
    }

    @Test
    void badDefinitionsAreRefusedAndCreateNothing() {
        Shards.createStream(client, "orders-c", 1);
        ObjectNode syntax = orders("bad-jq", "orders-c");
        syntax.put("reduce", "{\"count\": (.state.count + }");
        RestClient.Reply r = rest.post("/v1/projections", syntax);
        assertEquals(400, r.status(), r.toString());
        assertEquals("https://eddy.dev/problems/invalid-argument", r.problemType());
        assertTrue(r.body().path("detail").asText().contains("reducer"), r.toString());
        assertEquals(404, rest.get("/v1/projections/bad-jq").status());

        ObjectNode badFilter = orders("bad-filter", "orders-c");
        badFilter.put("filter", ".event.data.amount >");
        assertEquals(400, rest.post("/v1/projections", badFilter).status());

        RestClient.Reply unknown = rest.post("/v1/projections", orders("no-stream", "orders-c", "no-such-stream"));
        assertEquals(404, unknown.status(), unknown.toString());
        assertEquals(404, rest.get("/v1/projections/no-stream").status());

        ObjectNode badName = orders("bad name!", "orders-c");
        assertEquals(400, rest.post("/v1/projections", badName).status());
        ObjectNode window = orders("windowed", "orders-c");
        window.putObject("window").put("tumbling", "1m");
        assertEquals(400, rest.post("/v1/projections", window).status(), "windows are not offered yet");

        create(orders("orders-c-totals", "orders-c"));
        ObjectNode duplicate = orders("orders-c-totals", "orders-c");
        duplicate.put("reduce", ".state");
        RestClient.Reply dup = rest.post("/v1/projections", duplicate);
        assertEquals(409, dup.status(), dup.toString());
        assertEquals(ORDERS_REDUCER,
                rest.get("/v1/projections/orders-c-totals").body().path("definition").path("reduce").asText(),
                "the original definition stands");

        List<String> names = new ArrayList<>();
        rest.get("/v1/projections").body().path("projections").forEach(p -> names.add(p.path("name").asText()));
        assertTrue(names.contains("orders-c-totals"));
        for (String bad : List.of("bad-jq", "bad-filter", "no-stream", "windowed")) {
            assertTrue(!names.contains(bad), bad + " was not created: " + names);
        }
        assertEquals(204, rest.delete("/v1/projections/orders-c-totals").status());
    }

    @Test
    void queriesCheckTheirParameters() {
        Shards.createStream(client, "orders-g", 1);
        create(orders("orders-g-totals", "orders-g"));
        assertEquals(400, rest.get("/v1/projections/orders-g-totals/state?limit=0").status());
        assertEquals(400, rest.get("/v1/projections/orders-g-totals/state?limit=1001").status());
        assertEquals(400, rest.get("/v1/projections/orders-g-totals/state?cursor=%25%25").status());
        assertEquals(404, rest.get("/v1/projections/no-such-projection/state").status());
        assertEquals(404, rest.get("/v1/projections/no-such-projection/state/k").status());
        RestClient.Reply notAllowed = rest.post("/v1/projections/orders-g-totals", "{}");
        assertEquals(405, notAllowed.status(), notAllowed.toString());
        assertEquals(404, rest.get("/v1/projections/orders-g-totals/nothing-here").status());
        RestClient.Reply empty = rest.get("/v1/projections/orders-g-totals/state");
        assertEquals(0, empty.body().path("states").size());
        assertTrue(empty.body().path("nextCursor").isNull());
        assertEquals(204, rest.delete("/v1/projections/orders-g-totals").status());
    }

    @Test
    void aFailingReducerStopsOnlyItsProjection() {
        Shards.createStream(client, "orders-d", 1);
        Map<String, Fold> expected = new TreeMap<>();
        List<String> sequences = put("orders-d", 0, 100, 10, expected);
        ObjectNode failing = orders("orders-d-broken", "orders-d");
        failing.put("reduce", ".event.data.amount + \"x\"");
        create(failing);
        create(orders("orders-d-totals", "orders-d"));

        JsonNode broken = await("orders-d-broken", s -> s.path("status").asText().equals("FAILED"));
        JsonNode error = broken.path("lastError");
        assertEquals(sequences.get(0), error.path("sequenceNumber").asText(), broken.toString());
        assertEquals("orders-d", error.path("stream").asText());
        assertTrue(error.path("message").asText().length() > 0, broken.toString());
        assertEquals(0, broken.path("eventsProcessed").asLong());

        put("orders-d", 100, 300, 10, expected);
        awaitProcessed("orders-d-totals", 300);
        assertStates(expected, "orders-d-totals");
        JsonNode still = rest.get("/v1/projections/orders-d-broken").body();
        assertEquals("FAILED", still.path("status").asText());
        assertEquals(sequences.get(0), still.path("lastError").path("sequenceNumber").asText());
    }

    @Test
    void filtersAndPartitioning() {
        Shards.createStream(client, "orders-e", 2);
        putRaw("orders-e", 0, 1_000, i -> i % 10 == 9
                ? "not json " + i
                : "{\"amount\": " + i + ", \"kind\": \"" + (i % 3 == 0 ? "fizz" : "plain") + "\"}");

        ObjectNode evens = RestClient.JSON.createObjectNode();
        evens.put("name", "orders-e-evens");
        evens.putObject("source").put("from", "TRIM_HORIZON").putArray("streams").add("orders-e");
        evens.put("filter", "(.data | type) == \"object\" and .data.amount % 2 == 0");
        evens.put("partitionBy", "none");
        evens.putObject("init").put("count", 0).put("sum", 0);
        evens.put("reduce", "{\"count\": (.state.count + 1), \"sum\": (.state.sum + .event.data.amount)}");
        create(evens);

        ObjectNode kinds = RestClient.JSON.createObjectNode();
        kinds.put("name", "orders-e-kinds");
        kinds.putObject("source").putArray("streams").add("orders-e");
        kinds.putObject("partitionBy").put("jq", "if (.data | type) == \"object\" then .data.kind else \"raw\" end");
        kinds.put("init", 0);
        kinds.put("reduce", ".state + 1");
        create(kinds);

        long evenCount = 0;
        long evenSum = 0;
        Map<String, Long> perKind = new TreeMap<>();
        for (int i = 0; i < 1_000; i++) {
            boolean raw = i % 10 == 9;
            if (!raw && i % 2 == 0) {
                evenCount++;
                evenSum += i;
            }
            perKind.merge(raw ? "raw" : i % 3 == 0 ? "fizz" : "plain", 1L, Long::sum);
        }
        awaitProcessed("orders-e-evens", 1_000); // every record read counts, filtered out or folded
        JsonNode single = rest.get("/v1/projections/orders-e-evens/state/_").body();
        assertEquals(evenCount, single.path("state").path("count").asLong(), single.toString());
        assertEquals(evenSum, single.path("state").path("sum").asLong(), single.toString());

        awaitProcessed("orders-e-kinds", 1_000);
        Map<String, Long> got = new TreeMap<>();
        states("orders-e-kinds", 2).forEach((k, v) -> got.put(k, v.asLong()));
        assertEquals(perKind, got);

        // A LATEST projection folds only what comes after it started.
        ObjectNode latest = RestClient.JSON.createObjectNode();
        latest.put("name", "orders-e-latest");
        latest.putObject("source").put("from", "LATEST").putArray("streams").add("orders-e");
        latest.put("partitionBy", "none");
        latest.put("init", 0);
        latest.put("reduce", ".state + 1");
        create(latest);
        putRaw("orders-e", 1_000, 1_040, i -> "{\"amount\": " + i + "}");
        awaitProcessed("orders-e-latest", 40);
        assertEquals(40, rest.get("/v1/projections/orders-e-latest/state/_").body().path("state").asLong());
    }

    @Test
    void aProjectionAcrossASplitCountsEveryEventOnce() {
        Shards.createStream(client, "orders-f", 1);
        Map<String, Fold> expected = new TreeMap<>();
        put("orders-f", 0, 3_000, 40, expected);
        create(orders("orders-f-totals", "orders-f"));
        client.splitShard(b -> b.streamName("orders-f").shardToSplit("shardId-000000000000")
                .newStartingHashKey("170141183460469231731687303715884105728"));
        put("orders-f", 3_000, 6_000, 40, expected);
        JsonNode status = awaitProcessed("orders-f-totals", 6_000);
        assertEquals(3, status.path("positions").path("orders-f").size(), "parent and both children: " + status);
        assertStates(expected, "orders-f-totals");
    }

    // ---- helpers

    /** The test's own fold of one key. */
    private static final class Fold {
        long count;
        long total;
        long last;
    }

    private ObjectNode orders(String name, String... streams) {
        ObjectNode d = RestClient.JSON.createObjectNode();
        d.put("name", name);
        var s = d.putObject("source").putArray("streams");
        for (String stream : streams) {
            s.add(stream);
        }
        d.put("partitionBy", "key");
        d.putNull("init");
        d.put("reduce", ORDERS_REDUCER);
        return d;
    }

    private void create(ObjectNode definition) {
        RestClient.Reply r = rest.post("/v1/projections", definition);
        assertEquals(201, r.status(), r.toString());
        assertEquals(definition.path("name").asText(), r.body().path("name").asText());
    }

    /** Puts orders {@code from..to-1} ({@code keys} keys, amount {@code i % 97}); returns their sequence numbers. */
    private List<String> put(String stream, int from, int to, int keys, Map<String, Fold> expected) {
        for (int i = from; i < to; i++) {
            Fold f = expected.computeIfAbsent("order-" + (i % keys), k -> new Fold());
            f.count++;
            f.total += i % 97;
            f.last = i % 97;
        }
        return putRecords(stream, from, to, i -> "order-" + (i % keys), i -> "{\"amount\": " + (i % 97) + "}");
    }

    private List<String> putRaw(String stream, int from, int to, IntFunction<String> data) {
        return putRecords(stream, from, to, i -> "k" + i, data);
    }

    private List<String> putRecords(String stream, int from, int to, IntFunction<String> key, IntFunction<String> data) {
        List<String> sequences = new ArrayList<>();
        for (int start = from; start < to; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey(key.apply(i))
                        .data(SdkBytes.fromString(data.apply(i), StandardCharsets.UTF_8)).build());
            }
            PutRecordsResponse response = client.putRecords(b -> b.streamName(stream).records(entries));
            assertEquals(0, response.failedRecordCount(), response.toString());
            response.records().forEach(r -> sequences.add(r.sequenceNumber()));
        }
        return sequences;
    }

    private JsonNode awaitProcessed(String name, long n) {
        JsonNode status = await(name, s -> s.path("eventsProcessed").asLong() >= n);
        assertEquals(n, status.path("eventsProcessed").asLong(), "processed exactly: " + status);
        return status;
    }

    private long awaitAtLeast(String name, long n) {
        return await(name, s -> s.path("eventsProcessed").asLong() >= n).path("eventsProcessed").asLong();
    }

    private JsonNode await(String name, java.util.function.Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            RestClient.Reply r = rest.get("/v1/projections/" + name);
            assertEquals(200, r.status(), r.toString());
            status = r.body();
            if (done.test(status)) {
                return status;
            }
            if (status.path("status").asText().equals("FAILED")) {
                fail("projection failed: " + status);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return fail("timed out waiting for " + name + ": " + status);
    }

    /** Every key's state, paging {@code limit} at a time. */
    private Map<String, JsonNode> states(String name, int limit) {
        Map<String, JsonNode> out = new HashMap<>();
        String cursor = null;
        String previous = "";
        do {
            RestClient.Reply r = rest.get("/v1/projections/" + name + "/state?limit=" + limit
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertEquals(200, r.status(), r.toString());
            assertTrue(r.body().path("states").size() <= limit);
            for (JsonNode item : r.body().path("states")) {
                String key = item.path("key").asText();
                assertTrue(key.compareTo(previous) > 0, "keys in order");
                previous = key;
                assertNull(out.put(key, item.path("state")), "key " + key + " once");
            }
            cursor = r.body().path("nextCursor").isNull() ? null : r.body().path("nextCursor").asText();
        } while (cursor != null);
        return out;
    }

    private void assertStates(Map<String, Fold> expected, String name) {
        Map<String, JsonNode> got = states(name, 37);
        assertEquals(expected.keySet(), new TreeMap<>(got).keySet());
        expected.forEach((k, f) -> assertFold(f, got.get(k), k));
    }

    /** jq's numbers may come back as ints, longs or whole doubles: compare the values. */
    private static void assertFold(Fold f, JsonNode state, String key) {
        assertEquals(3, state.size(), "state of " + key + ": " + state);
        assertEquals(f.count, state.path("count").asLong(), "count of " + key + ": " + state);
        assertEquals(f.total, state.path("total").asLong(), "total of " + key + ": " + state);
        assertEquals(f.last, state.path("last").asLong(), "last of " + key + ": " + state);
    }
}
