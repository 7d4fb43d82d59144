package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What no SDK sends: malformed bodies, missing or wrong targets and content types, oversized bodies;
 * plus health, readiness and HTTP/2 cleartext with prior knowledge. Raw HTTP clients.
 */
class KinesisRawHttpTest {

    private static final String JSON = "application/x-amz-json-1.1";
    private static final String CBOR = "application/x-amz-cbor-1.1";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServerFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static HttpResponse<byte[]> call(String target, String contentType, byte[] body) throws Exception {
        Map<String, String> headers = new java.util.HashMap<>();
        if (target != null) {
            headers.put("X-Amz-Target", target);
        }
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return fixture.post(headers, body);
    }

    private static HttpResponse<byte[]> json(String action, String body) throws Exception {
        return call("Kinesis_20131202." + action, JSON, body.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode assertError(HttpResponse<byte[]> response, int status, String type) throws Exception {
        assertEquals(status, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        JsonNode body = (contentType.equals(CBOR) ? new CBORMapper() : MAPPER).readTree(response.body());
        assertEquals(type, body.get("__type").asText(), body.toString());
        assertFalse(body.get("message").asText().isBlank());
        UUID.fromString(response.headers().firstValue("x-amzn-RequestId").orElseThrow());
        return body;
    }

    private static int streamCount() throws Exception {
        return MAPPER.readTree(json("ListStreams", "{}").body()).get("StreamNames").size();
    }

    @Test
    void malformedBodiesAreSerializationExceptionsAndChangeNothing() throws Exception {
        int before = streamCount();
        assertError(json("CreateStream", "{\"StreamName\": \"x\", \"ShardCount\": "), 400, "SerializationException");
        assertError(json("CreateStream", "[\"StreamName\"]"), 400, "SerializationException");
        assertError(json("CreateStream", "{\"StreamName\": \"x\", \"ShardCount\": \"one\"}"), 400,
                "SerializationException");
        assertError(call("Kinesis_20131202.CreateStream", CBOR, new byte[]{(byte) 0xa2, 0x6a, 0x53}), 400,
                "SerializationException");
        assertError(json("PutRecord", "{\"StreamName\": \"x\", \"PartitionKey\": \"k\", \"Data\": \"***\"}"), 400,
                "SerializationException");
        assertEquals(before, streamCount());
    }

    @Test
    void targetAndContentTypeProblemsAreClearErrors() throws Exception {
        int before = streamCount();
        byte[] create = "{\"StreamName\":\"raw-a\",\"ShardCount\":1}".getBytes(StandardCharsets.UTF_8);
        JsonNode missing = assertError(call(null, JSON, create), 400, "MissingAction");
        assertTrue(missing.get("message").asText().contains("X-Amz-Target"));
        assertError(call("Kinesis_20131202.CreateStreamz", JSON, create), 400, "UnknownOperationException");
        assertError(call("Kinesis_20131202.NoSuchAction", JSON, create), 400, "UnknownOperationException");
        assertError(call("DynamoDB_20120810.CreateTable", JSON, create), 400, "UnknownOperationException");
        JsonNode type = assertError(call("Kinesis_20131202.CreateStream", "text/plain", create), 415,
                "UnsupportedMediaTypeException");
        assertTrue(type.get("message").asText().contains("application/x-amz-json-1.1"));
        assertError(call("Kinesis_20131202.CreateStream", null, create), 415, "UnsupportedMediaTypeException");
        assertError(json("DescribeStream", "{\"StreamName\":\"raw-a\"}"), 400, "ResourceNotFoundException");
        assertEquals(before, streamCount());
    }

    @Test
    void errorsAnswerInTheRequestFormat() throws Exception {
        byte[] body = new CBORMapper().writeValueAsBytes(Map.of("StreamName", "bad name"));
        HttpResponse<byte[]> response = call("Kinesis_20131202.DescribeStream", CBOR, body);
        assertEquals(CBOR, response.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("ValidationException", response.headers().firstValue("x-amzn-ErrorType").orElseThrow());
        assertError(response, 400, "ValidationException");
    }

    @Test
    void bodiesOverTheLimitGetAnErrorNotAReset() throws Exception {
        byte[] big = new byte[11 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        JsonNode error = assertError(call("Kinesis_20131202.PutRecords", JSON, big), 413, "InvalidArgumentException");
        assertTrue(error.get("message").asText().contains("exceeds the limit"));
    }

    @Test
    void everyResponseCarriesARequestId() throws Exception {
        HttpResponse<byte[]> ok = json("ListStreams", "{}");
        assertEquals(200, ok.statusCode());
        UUID.fromString(ok.headers().firstValue("x-amzn-RequestId").orElseThrow());
        assertEquals(JSON, ok.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void healthAndReadiness() throws Exception {
        HttpResponse<String> health = fixture.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("UP", MAPPER.readTree(health.body()).get("status").asText());
        assertEquals(200, fixture.get("/ready").statusCode());
        assertEquals(404, fixture.get("/nothing-here").statusCode());
    }

    /** What an HTTP/2 exchange returned. */
    private record Exchange(HttpVersion version, int status, Buffer body) {
    }

    private static Exchange exchange(HttpClient client, RequestOptions options, Buffer body) throws Exception {
        return client.request(options)
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(b -> new Exchange(response.version(), response.statusCode(), b)))
                .await(10, TimeUnit.SECONDS);
    }

    @Test
    void http2CleartextWithPriorKnowledge() throws Exception {
        HttpClient client = fixture.vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            Exchange kinesis = exchange(client, new RequestOptions().setMethod(HttpMethod.POST)
                    .setHost("localhost").setPort(fixture.server.actualPort()).setURI("/")
                    .putHeader("X-Amz-Target", "Kinesis_20131202.ListStreams")
                    .putHeader("Content-Type", JSON), Buffer.buffer("{}"));
            assertEquals(HttpVersion.HTTP_2, kinesis.version());
            assertEquals(200, kinesis.status());
            assertTrue(MAPPER.readTree(kinesis.body().getBytes()).has("StreamNames"));
            Exchange health = exchange(client, new RequestOptions().setMethod(HttpMethod.GET).setHost("localhost")
                    .setPort(fixture.server.actualPort()).setURI("/health"), Buffer.buffer());
            assertEquals(HttpVersion.HTTP_2, health.version());
            assertEquals(200, health.status());
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
        }
    }
}
