package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input over REST: each gets a problem document with the right type and status, and changes nothing
 * (the aggregate's history and the shard's records are compared before and after).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestBadInputTest {

    private static final String STREAM = "bad";
    private static final String KEY = "agg";
    private static final String EVENTS = RestClient.events(STREAM, KEY);

    private EddyFixture eddy;
    private RestClient rest;
    private JsonNode history;
    private JsonNode records;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        rest = new RestClient(eddy.endpoint());
        rest.createStream(STREAM, 1);
        assertEquals(201, rest.post(EVENTS, "{\"expectedVersion\":\"none\",\"events\":[{\"id\":\"first\",\"data\":{}}]}").status());
    }

    @AfterAll
    void stop() {
        eddy.close();
    }

    @BeforeEach
    void snapshot() {
        history = rest.get(EVENTS).body();
        records = rest.get("/v1/streams/" + STREAM + "/records").body().get("records");
    }

    private void assertProblem(RestClient.Reply reply, int status, String type) {
        assertEquals(status, reply.status(), reply.toString());
        assertEquals("application/problem+json", reply.contentType());
        assertEquals("https://eddy.dev/problems/" + type, reply.problemType(), reply.toString());
        assertEquals(status, reply.body().get("status").asInt());
        assertTrue(reply.body().get("title").isTextual());
        assertTrue(reply.body().get("detail").asText().length() > 10, "a human detail: " + reply);
        assertEquals(history, rest.get(EVENTS).body(), "history unchanged");
        assertEquals(records, rest.get("/v1/streams/" + STREAM + "/records").body().get("records"), "records unchanged");
    }

    @Test
    void unknownStream() {
        RestClient.Reply append = rest.post(RestClient.events("missing", KEY), "{\"events\":[{\"data\":1}]}");
        assertProblem(append, 404, "not-found");
        assertEquals("missing", append.body().get("stream").asText());
        assertProblem(rest.get(RestClient.events("missing", KEY)), 404, "not-found");
        assertProblem(rest.get("/v1/streams/missing/records?shard=shardId-000000000000"), 404, "not-found");
    }

    @Test
    void badFrom() {
        RestClient.Reply r = rest.get("/v1/streams/" + STREAM + "/records?from=yesterday");
        assertProblem(r, 400, "invalid-argument");
        assertTrue(r.body().get("detail").asText().contains("yesterday"), r.toString());
        assertProblem(rest.get("/v1/streams/" + STREAM + "/records?from=2024-13-45T00:00:00Z"), 400, "invalid-argument");
        assertProblem(rest.get("/v1/streams/" + STREAM + "/records?from=" + "1".repeat(56)), 400, "invalid-argument");
        assertProblem(rest.get("/v1/streams/" + STREAM + "/records?limit=0"), 400, "invalid-argument");
        assertProblem(rest.get("/v1/streams/" + STREAM + "/records?shard=shardId-000000000009"), 404, "not-found");
        assertProblem(rest.get("/v1/streams/" + STREAM + "/records?cursor=not-a-cursor"), 400, "invalid-argument");
    }

    @Test
    void badVersions() {
        for (String version : new String[]{"-1", "\"abc\"", "1.5", "\"3\"", "true", "{}"}) {
            RestClient.Reply r = rest.post(EVENTS, "{\"expectedVersion\":" + version + ",\"events\":[{\"data\":1}]}");
            assertProblem(r, 400, "invalid-argument");
            assertTrue(r.body().get("detail").asText().contains("expectedVersion"), r.toString());
        }
        assertProblem(rest.get(EVENTS + "?fromVersion=-1"), 400, "invalid-argument");
        assertProblem(rest.get(EVENTS + "?fromVersion=abc"), 400, "invalid-argument");
        assertProblem(rest.get(EVENTS + "?limit=0"), 400, "invalid-argument");
        assertProblem(rest.get(EVENTS + "?limit=100000"), 400, "invalid-argument");
        RestClient.Reply conflict = rest.post(EVENTS, "{\"expectedVersion\":\"none\",\"events\":[{\"data\":1}]}");
        assertProblem(conflict, 409, "version-conflict");
        assertEquals("none", conflict.body().get("expectedVersion").asText());
        assertEquals(0, conflict.body().get("currentVersion").asLong());
        assertEquals(KEY, conflict.body().get("key").asText());
        assertEquals(STREAM, conflict.body().get("stream").asText());
        RestClient.Reply ahead = rest.post(RestClient.events(STREAM, "empty"), "{\"expectedVersion\":4,\"events\":[{\"data\":1}]}");
        assertProblem(ahead, 409, "version-conflict");
        assertTrue(ahead.body().get("currentVersion").isNull(), "no events: currentVersion null");
        assertEquals(4, ahead.body().get("expectedVersion").asLong());
    }

    @Test
    void oversizedEventAndBody() {
        byte[] big = new byte[1024 * 1024 + 1];
        RestClient.Reply tooBig = rest.post(EVENTS, "{\"events\":[{\"data\":1},{\"dataBase64\":\""
                + Base64.getEncoder().encodeToString(big) + "\"}]}");
        assertProblem(tooBig, 413, "payload-too-large");
        assertTrue(tooBig.body().get("detail").asText().contains("events[1]"), tooBig.toString());

        byte[] body = new byte[eddy.maxRequestBytes() + 1];
        java.util.Arrays.fill(body, (byte) ' ');
        assertProblem(rest.post(EVENTS, body), 413, "payload-too-large");
    }

    @Test
    void malformedAndMissing() {
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"data\":1}"), 400, "malformed-json");
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"data\":1}]} trailing"), 400, "malformed-json");
        assertProblem(rest.post(EVENTS, ""), 400, "malformed-json");
        assertProblem(rest.post(EVENTS, "{}"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "{\"events\":[]}"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "[1]"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"type\":\"NoData\"}]}"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"data\":1,\"dataBase64\":\"AA==\"}]}"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"dataBase64\":\"***\"}]}"), 400, "invalid-argument");
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"data\":1,\"metadata\":{\"n\":1}}]}"), 400, "invalid-argument");
        RestClient.Reply typo = rest.post(EVENTS, "{\"expectedversion\":0,\"events\":[{\"data\":1}]}");
        assertProblem(typo, 400, "invalid-argument");
        assertTrue(typo.body().get("detail").asText().contains("expectedversion"), typo.toString());
        // One bad event spoils the whole append: the good ones before it are not stored either.
        assertProblem(rest.post(EVENTS, "{\"events\":[{\"data\":1},{\"data\":2,\"id\":7}]}"), 400, "invalid-argument");
    }
}
