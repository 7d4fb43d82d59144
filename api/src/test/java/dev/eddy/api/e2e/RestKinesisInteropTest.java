package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * REST and Kinesis see one log: events appended over REST are records to the AWS SDK with the exact JSON
 * text as data, and records put with the SDK are events of their aggregate, with versions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestKinesisInteropTest {

    private static final String STREAM = "interop";

    private EddyFixture eddy;
    private RestClient rest;
    private KinesisClient kinesis;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        rest = new RestClient(eddy.endpoint());
        kinesis = SdkClients.syncCbor(eddy.endpoint());
        rest.createStream(STREAM, 1);
    }

    @AfterAll
    void stop() {
        kinesis.close();
        eddy.close();
    }

    @Test
    void restEventsAreKinesisRecordsAndBack() {
        String key = "account-7";
        rest.createStream("bytes", 1);
        String path = RestClient.events("bytes", key);
        // Whitespace and member order as a client might send them; stored as the compact JSON text.
        String body = "{ \"expectedVersion\" : \"none\", \"events\" : [ "
                + "{ \"id\": \"a1\", \"type\": \"Opened\", \"data\": { \"owner\" : \"Zoë\", \"limit\": 1.50, \"tags\": [1, 2e3] } },"
                + "{ \"id\": \"a2\", \"type\": \"Note\", \"data\": \"just text\" },"
                + "{ \"id\": \"a3\", \"type\": \"Blob\", \"dataBase64\": \"" + Base64.getEncoder().encodeToString(new byte[]{0, (byte) 0xff, 1}) + "\" } ] }";
        RestClient.Reply appended = rest.post(path, body);
        assertEquals(201, appended.status(), appended.toString());

        List<Record> records = Shards.readAll(kinesis, kinesis.getShardIterator(b -> b.streamName("bytes")
                .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
        assertEquals(3, records.size());
        assertEquals("{\"owner\":\"Zoë\",\"limit\":1.50,\"tags\":[1,2E+3]}", records.get(0).data().asUtf8String());
        assertEquals("\"just text\"", records.get(1).data().asUtf8String());
        assertArrayEquals(new byte[]{0, (byte) 0xff, 1}, records.get(2).data().asByteArray());
        for (int i = 0; i < 3; i++) {
            assertEquals(key, records.get(i).partitionKey());
            assertEquals(appended.body().get("events").get(i).get("sequenceNumber").asText(), records.get(i).sequenceNumber());
        }

        JsonNode history = rest.get(path).body().get("events");
        assertEquals("Zoë", history.get(0).get("data").get("owner").asText());
        assertEquals("just text", history.get(1).get("data").asText());
        assertEquals(Base64.getEncoder().encodeToString(new byte[]{0, (byte) 0xff, 1}),
                history.get(2).get("dataBase64").asText(), "bytes that are not JSON come back as dataBase64");
        assertTrue(history.get(2).get("data") == null);
    }

    @Test
    void kinesisRecordsJoinTheAggregateHistory() {
        String key = "device-9";
        String path = RestClient.events(STREAM, key);
        assertEquals(201, rest.post(path, "{\"expectedVersion\":\"none\",\"events\":[{\"id\":\"d0\",\"data\":{\"t\":0}}]}").status());

        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        entries.add(PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("{\"t\":1}")).build());
        entries.add(PutRecordsRequestEntry.builder().partitionKey("other").data(SdkBytes.fromUtf8String("{}")).build());
        entries.add(PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("plain text")).build());
        PutRecordsResponse put = kinesis.putRecords(b -> b.streamName(STREAM).records(entries));
        assertEquals(0, put.failedRecordCount());

        JsonNode events = rest.get(path).body().get("events");
        assertEquals(3, events.size());
        for (int v = 0; v < 3; v++) {
            assertEquals(v, events.get(v).get("version").asLong());
        }
        assertEquals(put.records().get(0).sequenceNumber(), events.get(1).get("sequenceNumber").asText());
        assertEquals(1, events.get(1).get("data").get("t").asInt());
        assertTrue(events.get(1).get("id").isNull(), "a Kinesis record has no event id");
        assertEquals(Base64.getEncoder().encodeToString("plain text".getBytes(StandardCharsets.UTF_8)),
                events.get(2).get("dataBase64").asText());

        // An append conditioned on the version the Kinesis puts moved to.
        RestClient.Reply stale = rest.post(path, "{\"expectedVersion\":0,\"events\":[{\"data\":{\"t\":3}}]}");
        assertEquals(409, stale.status());
        assertEquals(2, stale.body().get("currentVersion").asLong());
        RestClient.Reply fresh = rest.post(path, "{\"expectedVersion\":2,\"events\":[{\"data\":{\"t\":3}}]}");
        assertEquals(201, fresh.status());
        assertEquals(3, fresh.body().get("events").get(0).get("version").asLong());
    }

    @Test
    void recordsPageWithCursorAndStartAtAPosition() {
        rest.createStream("paged", 1);
        String path = RestClient.events("paged", "k");
        for (int i = 0; i < 5; i++) {
            assertEquals(201, rest.post(path, "{\"events\":[{\"data\":" + i + "}]}").status());
        }
        JsonNode first = rest.get("/v1/streams/paged/records?from=TRIM_HORIZON&limit=2").body();
        assertEquals(2, first.get("records").size());
        assertEquals(0, first.get("records").get(0).get("data").asInt());
        assertEquals("k", first.get("records").get(0).get("partitionKey").asText());
        JsonNode second = rest.get("/v1/streams/paged/records?limit=10&cursor="
                + RestClient.enc(first.get("next").asText())).body();
        assertEquals(3, second.get("records").size());
        assertEquals(2, second.get("records").get(0).get("data").asInt());
        assertEquals(4, second.get("records").get(2).get("version").asInt());

        String third = second.get("records").get(1).get("sequenceNumber").asText();
        JsonNode at = rest.get("/v1/streams/paged/records?shard=shardId-000000000000&from=" + third).body();
        assertEquals(List.of(3, 4), ints(at.get("records")));
        String arrival = first.get("records").get(0).get("arrivalTimestamp").asText();
        JsonNode since = rest.get("/v1/streams/paged/records?from=" + RestClient.enc(arrival)).body();
        assertEquals(List.of(0, 1, 2, 3, 4), ints(since.get("records")));
        long millis = java.time.Instant.parse(arrival).toEpochMilli();
        assertEquals(5, rest.get("/v1/streams/paged/records?from=" + millis).body().get("records").size());
        JsonNode latest = rest.get("/v1/streams/paged/records?from=LATEST").body();
        assertEquals(0, latest.get("records").size());
        assertEquals(201, rest.post(path, "{\"events\":[{\"data\":5}]}").status());
        JsonNode afterLatest = rest.get("/v1/streams/paged/records?cursor=" + RestClient.enc(latest.get("next").asText())).body();
        assertEquals(List.of(5), ints(afterLatest.get("records")));
    }

    private static List<Integer> ints(JsonNode records) {
        List<Integer> out = new ArrayList<>();
        records.forEach(r -> out.add(r.get("data").asInt()));
        return out;
    }
}
