package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round trips of response and request trees through the JSON and CBOR encodings. */
class KinesisCodecTest {

    private static final long MILLIS = 1_732_530_000_123L;

    private static ObjectNode parse(WireFormat format, byte[] body) {
        BodyCollector collector = new BodyCollector(1 << 20, body.length);
        collector.append(io.vertx.core.buffer.Buffer.buffer(body));
        return KinesisHttpHandler.parse(format, collector);
    }

    @Test
    void cborTimestampsAreTaggedEpochMillis() throws Exception {
        ObjectNode node = Shapes.object();
        Shapes.timestamp(node, "T", MILLIS);
        byte[] bytes = WireFormat.CBOR.mapper().writeValueAsBytes(node);
        // "T" tag(1) uint64(MILLIS): what the AWS SDK v2 writes and parses with Long.parseLong.
        assertTrue(HexFormat.of().formatHex(bytes).contains("6154c11b" + String.format("%016x", MILLIS)),
                HexFormat.of().formatHex(bytes));
        Params back = new Params(parse(WireFormat.CBOR, bytes), WireFormat.CBOR);
        assertEquals(MILLIS, back.timestampMillis("T"));
    }

    @Test
    void jsonTimestampsAreEpochSecondsWithFraction() throws Exception {
        ObjectNode node = Shapes.object();
        Shapes.timestamp(node, "T", MILLIS);
        Shapes.timestamp(node, "Z", 0);
        String json = WireFormat.JSON.mapper().writeValueAsString(node);
        assertEquals("{\"T\":1732530000.123,\"Z\":0.000}", json);
        Params back = new Params(parse(WireFormat.JSON, json.getBytes(StandardCharsets.UTF_8)), WireFormat.JSON);
        assertEquals(MILLIS, back.timestampMillis("T"));
        assertEquals(0L, back.timestampMillis("Z"));
    }

    @Test
    void requestTimestampsInEveryAcceptedForm() throws Exception {
        Params json = new Params(parse(WireFormat.JSON, ("{\"a\":1732530000,\"b\":1732530000.5,"
                + "\"c\":\"2024-11-25T10:20:00.123Z\"}").getBytes(StandardCharsets.UTF_8)), WireFormat.JSON);
        assertEquals(1_732_530_000_000L, json.timestampMillis("a"));
        assertEquals(1_732_530_000_500L, json.timestampMillis("b"));
        assertEquals(1_732_530_000_123L, json.timestampMillis("c"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator gen = new CBORFactory().createGenerator(out)) {
            gen.writeStartObject();
            gen.writeFieldName("tagged");
            gen.writeTag(1);
            gen.writeNumber(MILLIS);
            gen.writeFieldName("plain");
            gen.writeNumber(MILLIS);
            gen.writeEndObject();
        }
        Params cbor = new Params(parse(WireFormat.CBOR, out.toByteArray()), WireFormat.CBOR);
        assertEquals(MILLIS, cbor.timestampMillis("tagged"));
        assertEquals(MILLIS, cbor.timestampMillis("plain"));
    }

    @Test
    void blobsAreByteStringsInCborAndBase64InJson() throws Exception {
        byte[] data = new byte[4096];
        new Random(7).nextBytes(data);
        ObjectNode node = Shapes.object();
        node.set("Data", BinaryNode.valueOf(data));
        node.set("Empty", BinaryNode.valueOf(new byte[0]));
        for (WireFormat format : WireFormat.values()) {
            byte[] bytes = format.mapper().writeValueAsBytes(node);
            ObjectNode tree = parse(format, bytes);
            JsonNode encoded = tree.get("Data");
            assertTrue(format == WireFormat.CBOR ? encoded.isBinary() : encoded.isTextual(), format.toString());
            Params back = new Params(tree, format);
            assertArrayEquals(data, back.blob("Data"), format.toString());
            assertEquals(0, back.blob("Empty").length, format.toString());
        }
    }

    @Test
    void wrongTypesAndMalformedBodiesAreSerializationErrors() {
        Params p = new Params(parse(WireFormat.JSON, "{\"ShardCount\":\"2\",\"Data\":\"!!\",\"Records\":{}}"
                .getBytes(StandardCharsets.UTF_8)), WireFormat.JSON);
        assertEquals("SerializationException", assertThrows(KinesisException.class, () -> p.integer("ShardCount")).type());
        assertEquals("SerializationException", assertThrows(KinesisException.class, () -> p.blob("Data")).type());
        assertEquals("SerializationException", assertThrows(KinesisException.class, () -> p.list("Records")).type());
        for (String bad : new String[]{"{", "[1,2]", "{\"a\":}", "nope"}) {
            KinesisException e = assertThrows(KinesisException.class,
                    () -> parse(WireFormat.JSON, bad.getBytes(StandardCharsets.UTF_8)));
            assertEquals("SerializationException", e.type(), bad);
        }
        KinesisException cbor = assertThrows(KinesisException.class,
                () -> parse(WireFormat.CBOR, new byte[]{(byte) 0xbf, 0x61}));
        assertEquals("SerializationException", cbor.type());
    }

    @Test
    void validatorReportsEveryViolationInAwsStyle() {
        KinesisException e = assertThrows(KinesisException.class, () -> new Validator()
                .streamName("streamName", "")
                .range("shardCount", 0, 1, Integer.MAX_VALUE)
                .check());
        assertEquals("ValidationException", e.type());
        assertEquals("3 validation errors detected: "
                + "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
                + "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
                + "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
                e.getMessage());
        KinesisException nul = assertThrows(KinesisException.class, () -> new Validator().required("shardId", null).check());
        assertEquals("1 validation error detected: Value null at 'shardId' failed to satisfy constraint: "
                + "Member must not be null", nul.getMessage());
    }

    @Test
    void signatureV4CredentialScopeIsParsed() {
        SigV4 sig = SigV4.parse("AWS4-HMAC-SHA256 Credential=AKID/20241125/us-east-1/kinesis/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=abcdef");
        assertEquals(new SigV4("AKID", "20241125", "us-east-1", "kinesis"), sig);
        assertEquals(null, SigV4.parse(null));
        assertEquals("IncompleteSignatureException",
                assertThrows(KinesisException.class, () -> SigV4.parse("AWS4-HMAC-SHA256 Signature=x")).type());
    }

    @Test
    void pageTokensRoundTripAndExpire() {
        PageToken token = new PageToken("shards", "s", "shardId-000000000001", "AT_TIMESTAMP", "", 5, 1000);
        assertEquals(token, PageToken.decode(token.encode(), "shards", 1000 + PageToken.TTL_MILLIS));
        assertEquals("ExpiredNextTokenException", assertThrows(KinesisException.class,
                () -> PageToken.decode(token.encode(), "shards", 1001 + PageToken.TTL_MILLIS)).type());
        assertEquals("InvalidArgumentException", assertThrows(KinesisException.class,
                () -> PageToken.decode(token.encode(), "streams", 1000)).type());
    }
}
