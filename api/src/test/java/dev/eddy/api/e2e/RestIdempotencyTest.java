package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A retried append with the same event ids appends nothing and answers the original results; a retry
 * that mixes stored and new ids is refused and appends nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestIdempotencyTest {

    private static final String STREAM = "idem";

    private EddyFixture eddy;
    private RestClient rest;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        rest = new RestClient(eddy.endpoint());
        rest.createStream(STREAM, 3);
    }

    @AfterAll
    void stop() {
        eddy.close();
    }

    @Test
    void sameIdsTwiceAppendOnce() {
        String path = RestClient.events(STREAM, "cart-1");
        String body = "{\"expectedVersion\":\"none\",\"events\":["
                + "{\"id\":\"e-1\",\"type\":\"Created\",\"metadata\":{\"user\":\"ann\"},\"data\":{\"items\":[]}},"
                + "{\"id\":\"e-2\",\"type\":\"ItemAdded\",\"data\":{\"sku\":\"A-1\",\"qty\":2}}]}";
        RestClient.Reply first = rest.post(path, body);
        assertEquals(201, first.status(), first.toString());
        assertEquals("application/json", first.contentType());
        JsonNode history = rest.get(path).body();

        // The same request again, as a client does after a timeout: the original answer, nothing appended.
        RestClient.Reply retry = rest.post(path, body);
        assertEquals(200, retry.status(), retry.toString());
        assertEquals(first.body(), retry.body(), "a retry answers the original sequence numbers and versions");
        assertEquals(history, rest.get(path).body(), "history unchanged by the retry");

        JsonNode events = first.body().get("events");
        assertEquals(2, events.size());
        assertEquals("e-1", events.get(0).get("id").asText());
        assertEquals(0, events.get(0).get("version").asLong());
        assertEquals(1, events.get(1).get("version").asLong());
        assertTrue(events.get(0).get("shardId").asText().startsWith("shardId-"));
        JsonNode stored = history.get("events");
        assertEquals("ann", stored.get(0).get("metadata").get("user").asText());
        assertEquals("ItemAdded", stored.get(1).get("type").asText());
        assertEquals(2, stored.get(1).get("data").get("qty").asInt());
        assertEquals(events.get(1).get("sequenceNumber"), stored.get(1).get("sequenceNumber"));
    }

    @Test
    void mixedOldAndNewIdsAppendNothing() {
        String path = RestClient.events(STREAM, "cart-2");
        assertEquals(201, rest.post(path, "{\"events\":[{\"id\":\"m-1\",\"data\":1},{\"id\":\"m-2\",\"data\":2}]}").status());
        JsonNode before = rest.get(path).body();

        RestClient.Reply mixed = rest.post(path, "{\"events\":[{\"id\":\"m-2\",\"data\":2},{\"id\":\"m-3\",\"data\":3}]}");
        assertEquals(400, mixed.status(), mixed.toString());
        assertEquals("https://eddy.dev/problems/invalid-argument", mixed.problemType());
        assertTrue(mixed.body().get("detail").asText().contains("m-2"), "the detail names the stored id: " + mixed);
        assertEquals(before, rest.get(path).body(), "nothing appended");

        RestClient.Reply repeated = rest.post(path, "{\"events\":[{\"id\":\"x\",\"data\":1},{\"id\":\"x\",\"data\":2}]}");
        assertEquals(400, repeated.status(), repeated.toString());
        assertTrue(repeated.body().get("detail").asText().contains("repeats"), repeated.toString());
        assertEquals(before, rest.get(path).body(), "nothing appended");
    }
}
