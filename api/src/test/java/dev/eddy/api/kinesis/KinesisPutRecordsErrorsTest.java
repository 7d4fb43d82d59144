package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PutRecords and PutRecord bodies that are wrong in every way the streamed decoders meet them, over raw
 * HTTP: each answers the status, {@code __type} and message the tree path has always answered.
 */
class KinesisPutRecordsErrorsTest {

    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServerFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static JsonNode call(WireFormat format, String action, byte[] body, int status, String type)
            throws Exception {
        HttpResponse<byte[]> response = fixture.post(Map.of("X-Amz-Target", "Kinesis_20131202." + action,
                "Content-Type", format.contentType()), body);
        assertEquals(status, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        assertEquals(format.contentType(), response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode answer = format.mapper().readTree(response.body());
        assertEquals(type, answer.get("__type").asText(), answer.toString());
        return answer;
    }

    private static String json(String action, String body, int status, String type) throws Exception {
        return call(WireFormat.JSON, action, body.getBytes(StandardCharsets.UTF_8), status, type)
                .get("message").asText();
    }

    private static String cbor(String action, String jsonBody, int status, String type) throws Exception {
        byte[] body = WireFormat.CBOR.mapper().writeValueAsBytes(WireFormat.JSON.mapper().readTree(jsonBody));
        return call(WireFormat.CBOR, action, body, status, type).get("message").asText();
    }

    @Test
    void wrongTypesAreTheTreePathsSerializationErrors() throws Exception {
        for (boolean inCbor : new boolean[]{false, true}) {
            Body send = inCbor ? KinesisPutRecordsErrorsTest::cbor : KinesisPutRecordsErrorsTest::json;
            assertEquals("Expected list or null at 'Records'",
                    send.call("PutRecords", "{\"StreamName\":\"s\",\"Records\":{}}", 400, "SerializationException"));
            assertEquals("Expected list or null at 'Records'",
                    send.call("PutRecords", "{\"StreamName\":\"s\",\"Records\":\"AA==\"}", 400, "SerializationException"));
            assertEquals("Expected a structure at 'records.2.member'", send.call("PutRecords",
                    "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"k\"},1]}", 400,
                    "SerializationException"));
            assertEquals("class java.math.BigDecimal can not be converted to a Blob", send.call("PutRecords",
                    "{\"StreamName\":\"s\",\"Records\":[{\"Data\":12,\"PartitionKey\":\"k\"}]}", 400,
                    "SerializationException"));
            assertEquals("class java.math.BigDecimal can not be converted to an String", send.call("PutRecords",
                    "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":7}]}", 400,
                    "SerializationException"));
            assertEquals("Start of list found where not expected", send.call("PutRecords",
                    "{\"StreamName\":[],\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"k\"}]}", 400,
                    "SerializationException"));
            assertTrue(send.call("PutRecords", "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"!!\",\"PartitionKey\":"
                            + "\"k\"}]}", 400, "SerializationException")
                    .startsWith("'!!' can not be converted to a Blob: Illegal base64 character 21"));
            assertTrue(send.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\\nAAAA\"}",
                    400, "SerializationException").startsWith("'AAAA\nAAAA' can not be converted to a Blob: "));
            assertEquals("Start of structure or map found where not expected.", send.call("PutRecord",
                    "{\"StreamName\":\"s\",\"PartitionKey\":{},\"Data\":\"AA==\"}", 400, "SerializationException"));
        }
    }

    @Test
    void truncatedBodiesAreMalformed() throws Exception {
        String whole = "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AAAA\",\"PartitionKey\":\"k\"}]}";
        byte[] json = whole.getBytes(StandardCharsets.UTF_8);
        byte[] cbor = WireFormat.CBOR.mapper().writeValueAsBytes(WireFormat.JSON.mapper().readTree(whole));
        for (int cut : new int[]{1, 10, json.length / 2, json.length - 1}) {
            assertTrue(call(WireFormat.JSON, "PutRecords", Arrays.copyOf(json, cut), 400, "SerializationException")
                    .get("message").asText().startsWith("Malformed JSON request body: "));
        }
        for (int cut : new int[]{1, 10, cbor.length / 2, cbor.length - 1}) {
            assertTrue(call(WireFormat.CBOR, "PutRecords", Arrays.copyOf(cbor, cut), 400, "SerializationException")
                    .get("message").asText().startsWith("Malformed CBOR request body: "));
        }
    }

    @Test
    void plainBodiesWithBadValuesAreValidatedAsBefore() throws Exception {
        for (boolean inCbor : new boolean[]{false, true}) {
            Body send = inCbor ? KinesisPutRecordsErrorsTest::cbor : KinesisPutRecordsErrorsTest::json;
            assertEquals("1 validation error detected: Value at 'records' failed to satisfy constraint: Member must "
                    + "have length greater than or equal to 1", send.call("PutRecords",
                    "{\"StreamName\":\"s\",\"Records\":[]}", 400, "ValidationException"));
            assertEquals("1 validation error detected: Value null at 'records' failed to satisfy constraint: Member "
                    + "must not be null", send.call("PutRecords", "{\"StreamName\":\"s\",\"Records\":null}", 400,
                    "ValidationException"));
            assertEquals("3 validation errors detected: Value null at 'records.1.member.data' failed to satisfy "
                    + "constraint: Member must not be null; Value '' at 'records.1.member.partitionKey' failed to "
                    + "satisfy constraint: Member must have length greater than or equal to 1; Value 'a b' at "
                    + "'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                    + "[a-zA-Z0-9_.-]+", send.call("PutRecords",
                    "{\"StreamName\":\"a b\",\"Records\":[{\"PartitionKey\":\"\",\"Other\":[1,{\"x\":null}]}]}", 400,
                    "ValidationException"));
            assertEquals("Either StreamName or StreamARN must be provided.", send.call("PutRecords",
                    "{\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"k\"}]}", 400, "InvalidArgumentException"));
            assertEquals("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value "
                    + "was 340282366920938463463374607431768211456 (record 1).", send.call("PutRecords",
                    "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA\",\"PartitionKey\":\"k\",\"ExplicitHashKey\":"
                            + "\"340282366920938463463374607431768211456\"}]}", 400, "InvalidArgumentException"));
            ObjectNode many = Shapes.object();
            many.put("StreamName", "s");
            for (int i = 0; i < 501; i++) {
                many.withArray("Records").addObject().put("Data", "AA==").put("PartitionKey", "k");
            }
            assertEquals("1 validation error detected: Value at 'records' failed to satisfy constraint: Member must "
                    + "have length less than or equal to 500", send.call("PutRecords", many.toString(), 400,
                    "ValidationException"));
            assertTrue(send.call("PutRecords", "{\"StreamName\":\"no-such-stream\",\"Records\":[{\"Data\":\"AA==\","
                    + "\"PartitionKey\":\"k\"}]}", 400, "ResourceNotFoundException").contains("no-such-stream"));
            assertTrue(send.call("PutRecord", "{\"StreamName\":\"no-such-stream\",\"Data\":\"AA==\","
                    + "\"PartitionKey\":\"k\"}", 400, "ResourceNotFoundException").contains("no-such-stream"));
        }
    }

    @FunctionalInterface
    private interface Body {
        String call(String action, String jsonBody, int status, String type) throws Exception;
    }
}
