package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stream create, list, describe and delete over REST, and their errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestStreamsTest {

    private EddyFixture eddy;
    private RestClient rest;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        rest = new RestClient(eddy.endpoint());
    }

    @AfterAll
    void stop() {
        eddy.close();
    }

    @Test
    void createListDescribeDelete() throws InterruptedException {
        RestClient.Reply created = rest.post("/v1/streams", "{\"name\":\"crud\",\"shardCount\":3}");
        assertEquals(201, created.status(), created.toString());
        JsonNode stream = created.body();
        assertEquals("crud", stream.get("name").asText());
        assertEquals("arn:aws:kinesis:us-east-1:000000000000:stream/crud", stream.get("arn").asText());
        assertEquals(3, stream.get("shardCount").asInt());
        assertEquals(3, stream.get("shards").size());
        assertEquals("shardId-000000000000", stream.get("shards").get(0).get("shardId").asText());

        RestClient.Reply again = rest.post("/v1/streams", "{\"name\":\"crud\",\"shardCount\":1}");
        assertEquals(409, again.status(), again.toString());
        assertEquals("https://eddy.dev/problems/resource-in-use", again.problemType());

        assertEquals(201, rest.post("/v1/streams", "{\"name\":\"another\"}").status());
        JsonNode list = rest.get("/v1/streams").body().get("streams");
        List<String> names = new ArrayList<>();
        list.forEach(s -> names.add(s.get("name").asText()));
        assertEquals(List.of("another", "crud"), names);
        assertEquals(1, list.get(0).get("shardCount").asInt(), "shardCount defaults to 1");

        RestClient.Reply described = rest.get("/v1/streams/crud");
        assertEquals(200, described.status());
        assertEquals("ACTIVE", described.body().get("status").asText());
        assertEquals(3, described.body().get("shards").size());

        RestClient.Reply deleted = rest.delete("/v1/streams/crud");
        assertEquals(202, deleted.status(), deleted.toString());
        RestClient.Reply gone = rest.get("/v1/streams/crud");
        for (int i = 0; i < 100 && gone.status() != 404; i++) {
            Thread.sleep(50); // deletion runs in the background
            gone = rest.get("/v1/streams/crud");
        }
        assertEquals(404, gone.status(), gone.toString());
        assertEquals("https://eddy.dev/problems/not-found", gone.problemType());
        assertEquals("crud", gone.body().get("stream").asText());
    }

    @Test
    void badRequestsAreProblems() {
        RestClient.Reply badName = rest.post("/v1/streams", "{\"name\":\"no spaces\",\"shardCount\":1}");
        assertEquals(400, badName.status(), badName.toString());
        assertEquals("https://eddy.dev/problems/invalid-argument", badName.problemType());
        assertEquals("application/problem+json", badName.contentType());

        RestClient.Reply zero = rest.post("/v1/streams", "{\"name\":\"zero\",\"shardCount\":0}");
        assertEquals(400, zero.status());
        RestClient.Reply malformed = rest.post("/v1/streams", "{\"name\":");
        assertEquals(400, malformed.status());
        assertEquals("https://eddy.dev/problems/malformed-json", malformed.problemType());
        assertEquals(404, rest.delete("/v1/streams/nope").status());
        assertEquals(404, rest.get("/v1/streams/nope").status());
        RestClient.Reply noRoute = rest.get("/v1/nothing-here");
        assertEquals(404, noRoute.status());
        assertEquals("https://eddy.dev/problems/not-found", noRoute.problemType());
        RestClient.Reply method = rest.delete("/v1/streams");
        assertEquals(405, method.status());
        assertEquals("https://eddy.dev/problems/method-not-allowed", method.problemType());
        for (JsonNode s : rest.get("/v1/streams").body().get("streams")) {
            assertTrue(!s.get("name").asText().equals("zero") && !s.get("name").asText().equals("no spaces"),
                    "a refused create creates nothing");
        }
    }
}
