package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Property tests of the streamed PutRecord/PutRecords decoders and PutRecords/GetRecords replies against
 * the tree path they replace: every body decodes to what the tree path reads from it, or is left to the
 * tree path (which then reports exactly what it always did); every reply is byte for byte the tree the
 * server used to build.
 */
class KinesisStreamingCodecTest {

    private static final long SEED = Long.getLong("eddy.test.seed", System.nanoTime());
    private static SdkRequestBodies sdkCbor;
    private static SdkRequestBodies sdkJson;

    @BeforeAll
    static void clients() {
        sdkCbor = new SdkRequestBodies(true);
        sdkJson = new SdkRequestBodies(false);
    }

    @AfterAll
    static void close() {
        sdkCbor.close();
        sdkJson.close();
    }

    // ---- requests

    @Test
    void putRecordsBodiesMarshalledByTheSdkDecodeAsTheTreePathReadsThem() {
        Random random = new Random(SEED);
        for (int round = 0; round < 24; round++) {
            List<PutEntry> entries = randomEntries(random, round % 8 == 0 ? 500 : 1 + random.nextInt(60));
            String name = "stream-" + round;
            List<PutRecordsRequestEntry> sdkEntries = new ArrayList<>();
            for (PutEntry e : entries) {
                sdkEntries.add(PutRecordsRequestEntry.builder().partitionKey(e.partitionKey())
                        .explicitHashKey(e.explicitHashKey()).data(SdkBytes.fromByteArray(e.data())).build());
            }
            for (WireFormat format : WireFormat.values()) {
                byte[] body = (format == WireFormat.CBOR ? sdkCbor : sdkJson).bodyOf(k -> k.putRecords(r -> {
                    if (random.nextBoolean()) {
                        r.streamName(name);
                    } else {
                        r.streamARN("arn:aws:kinesis:us-east-1:000000000000:stream/" + name);
                    }
                    r.records(sdkEntries);
                }));
                PutRecordsRequest streamed = assertPutRecordsAsTree(format, body);
                assertNotNull(streamed, () -> format + " SDK body left to the tree path, seed " + SEED);
                assertEntries(entries, streamed.records());
            }
        }
    }

    @Test
    void putRecordBodiesMarshalledByTheSdkDecodeAsTheTreePathReadsThem() {
        Random random = new Random(SEED + 1);
        for (int round = 0; round < 50; round++) {
            PutEntry e = randomEntries(random, 1).get(0);
            String ordering = random.nextBoolean() ? null : new BigInteger(100, random).toString();
            for (WireFormat format : WireFormat.values()) {
                byte[] body = (format == WireFormat.CBOR ? sdkCbor : sdkJson).bodyOf(k -> k.putRecord(r -> r
                        .streamName("s").partitionKey(e.partitionKey()).explicitHashKey(e.explicitHashKey())
                        .sequenceNumberForOrdering(ordering).data(SdkBytes.fromByteArray(e.data()))));
                PutRecordRequest streamed = assertPutRecordAsTree(format, body);
                assertNotNull(streamed, () -> format + " SDK body left to the tree path, seed " + SEED);
                assertArrayEquals(e.data(), streamed.data());
                assertEquals(e.partitionKey(), streamed.partitionKey());
                assertEquals(e.explicitHashKey(), streamed.explicitHashKey());
                assertEquals(ordering, streamed.ordering());
            }
        }
    }

    @Test
    void oddButValidShapesDecodeAsTheTreePathReadsThem() throws IOException {
        Random random = new Random(SEED + 2);
        for (int round = 0; round < 300; round++) {
            for (WireFormat format : WireFormat.values()) {
                byte[] body = oddPutRecords(format, random);
                assertPutRecordsAsTree(format, body);
                assertPutRecordAsTree(format, body);
            }
        }
    }

    @Test
    void truncatedAndCorruptedBodiesAreLeftToTheTreePathOrDecodeAlike() throws IOException {
        Random random = new Random(SEED + 3);
        for (int round = 0; round < 200; round++) {
            for (WireFormat format : WireFormat.values()) {
                byte[] body = oddPutRecords(format, random);
                byte[] truncated = java.util.Arrays.copyOf(body, random.nextInt(body.length));
                assertPutRecordsAsTree(format, truncated);
                assertPutRecordAsTree(format, truncated);
                byte[] corrupted = body.clone();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    corrupted[random.nextInt(corrupted.length)] = (byte) random.nextInt(256);
                }
                assertPutRecordsAsTree(format, corrupted);
                assertPutRecordAsTree(format, corrupted);
            }
        }
    }

    @Test
    void malformedBodiesAreLeftToTheTreePath() {
        String[] json = {
                "{", "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"k\"}",
                "[1,2]", "nope", "{\"StreamName\":\"s\",\"Records\":{}}",
                "{\"StreamName\":\"s\",\"Records\":\"x\"}", "{\"StreamName\":\"s\",\"Records\":[1]}",
                "{\"StreamName\":\"s\",\"Records\":[null]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"!!\",\"PartitionKey\":\"k\"}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA=\",\"PartitionKey\":\"k\"}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AAAA\\nAAAA\",\"PartitionKey\":\"k\"}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"-_-_\",\"PartitionKey\":\"k\"}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":12,\"PartitionKey\":\"k\"}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":5}]}",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"k\",\"ExplicitHashKey\":1}]}",
                "{\"StreamName\":7,\"Records\":[]}", "{\"StreamName\":\"s\",\"StreamId\":[],\"Records\":[]}",
                "{\"StreamName\":\"s\",\"Records\":[],\"Other\":{\"a\":[1,2,}}",
                "{\"Records\":[]}", "",
        };
        for (String body : json) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertNull(PutRecordsDecoder.decode(WireFormat.JSON, bytes, bytes.length), body);
            assertPutRecordsAsTree(WireFormat.JSON, bytes);
            assertPutRecordAsTree(WireFormat.JSON, bytes);
        }
        byte[][] cbor = {
                {(byte) 0xbf, 0x61}, {(byte) 0xa1, 0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's'},
                {(byte) 0xa2, 0x6a, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x61, 's',
                        0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', (byte) 0xa0},
                {(byte) 0x82, 1, 2},
        };
        for (byte[] bytes : cbor) {
            assertNull(PutRecordsDecoder.decode(WireFormat.CBOR, bytes, bytes.length));
            assertPutRecordsAsTree(WireFormat.CBOR, bytes);
        }
    }

    /**
     * Whatever the tree path reads from a PutRecords body, the streamed decoder reads the same or leaves
     * the body to the tree path; where the tree path fails, the decoder leaves it. Returns the decoded.
     */
    private static PutRecordsRequest assertPutRecordsAsTree(WireFormat format, byte[] body) {
        PutRecordsRequest streamed = PutRecordsDecoder.decode(format, body, body.length);
        ObjectNode tree;
        PutRecordsRequest expected;
        try {
            tree = BodyTree.parse(format, body, body.length);
            expected = PutRecordsRequest.of(new Params(tree, format));
        } catch (KinesisException e) {
            assertNull(streamed, () -> "the tree path fails with " + e.getMessage() + ", seed " + SEED);
            return null;
        }
        if (streamed != null) {
            assertEquals(expected.streamName(), streamed.streamName());
            assertEquals(expected.streamArn(), streamed.streamArn());
            assertEquals(expected.streamId(), streamed.streamId());
            if (expected.records() == null) {
                assertNull(streamed.records());
            } else {
                assertEntries(expected.records(), streamed.records());
            }
            assertEquals(BodyTree.streamOf(tree), BodyTree.streamOf(streamed.streamName(), streamed.streamArn()));
        }
        return streamed;
    }

    private static PutRecordRequest assertPutRecordAsTree(WireFormat format, byte[] body) {
        PutRecordRequest streamed = PutRecordDecoder.decode(format, body, body.length);
        ObjectNode tree;
        PutRecordRequest expected;
        try {
            tree = BodyTree.parse(format, body, body.length);
            expected = PutRecordRequest.of(new Params(tree, format));
        } catch (KinesisException e) {
            assertNull(streamed, () -> "the tree path fails with " + e.getMessage() + ", seed " + SEED);
            return null;
        }
        if (streamed != null) {
            assertArrayEquals(expected.data(), streamed.data());
            assertEquals(expected.partitionKey(), streamed.partitionKey());
            assertEquals(expected.explicitHashKey(), streamed.explicitHashKey());
            assertEquals(expected.ordering(), streamed.ordering());
            assertEquals(expected.streamName(), streamed.streamName());
            assertEquals(expected.streamArn(), streamed.streamArn());
            assertEquals(expected.streamId(), streamed.streamId());
            assertEquals(BodyTree.streamOf(tree), BodyTree.streamOf(streamed.streamName(), streamed.streamArn()));
        }
        return streamed;
    }

    private static void assertEntries(List<PutEntry> expected, List<PutEntry> actual) {
        assertEquals(expected.size(), actual.size(), "seed " + SEED);
        for (int i = 0; i < expected.size(); i++) {
            PutEntry e = expected.get(i);
            PutEntry a = actual.get(i);
            int at = i;
            assertArrayEquals(e.data(), a.data(), () -> "record " + at + ", seed " + SEED);
            assertEquals(e.partitionKey(), a.partitionKey(), () -> "record " + at + ", seed " + SEED);
            assertEquals(e.explicitHashKey(), a.explicitHashKey(), () -> "record " + at + ", seed " + SEED);
            assertEquals(Map.of(), a.metadata());
            assertNull(a.eventId());
            assertNull(a.eventType());
        }
    }

    /**
     * A PutRecords (and PutRecord) body written member by member in a random order, with unknown members,
     * nulls, duplicates, definite and indefinite lengths, base64 text for Data in CBOR, unpadded base64.
     */
    private static byte[] oddPutRecords(WireFormat format, Random random) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator gen = format.mapper().createGenerator(out)) {
            List<Member> members = new ArrayList<>();
            members.add(g -> {
                g.writeFieldName("Records");
                List<PutEntry> entries = randomEntries(random, random.nextInt(12));
                if (random.nextBoolean()) {
                    g.writeStartArray(entries, entries.size());
                } else {
                    g.writeStartArray();
                }
                for (PutEntry e : entries) {
                    writeEntry(g, format, e, random);
                }
                g.writeEndArray();
            });
            members.add(g -> g.writeStringField("StreamName", random.nextInt(4) == 0 ? "a b" : "s1"));
            if (random.nextBoolean()) {
                members.add(g -> g.writeStringField("StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/s1"));
            }
            if (random.nextInt(4) == 0) {
                members.add(g -> g.writeStringField("StreamId", "x"));
            }
            if (random.nextInt(3) == 0) {
                members.add(g -> writeEntryMembers(g, format, randomEntries(random, 1).get(0), random));
            }
            for (int i = random.nextInt(3); i > 0; i--) {
                members.add(g -> unknown(g, random, 0));
            }
            if (random.nextInt(6) == 0) {
                members.add(g -> g.writeNullField(random.nextBoolean() ? "Records" : "StreamARN"));
            }
            Collections.shuffle(members, random);
            gen.writeStartObject();
            for (Member m : members) {
                m.write(gen);
            }
            gen.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void writeEntry(JsonGenerator g, WireFormat format, PutEntry e, Random random) throws IOException {
        if (random.nextInt(50) == 0) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        writeEntryMembers(g, format, e, random);
        g.writeEndObject();
    }

    private static void writeEntryMembers(JsonGenerator g, WireFormat format, PutEntry e, Random random)
            throws IOException {
        List<Member> members = new ArrayList<>();
        if (random.nextInt(30) != 0) {
            members.add(gen -> {
                gen.writeFieldName("Data");
                int form = random.nextInt(format == WireFormat.CBOR ? 4 : 3);
                String base64 = Base64.getEncoder().encodeToString(e.data());
                switch (form) {
                    case 0 -> gen.writeString(base64.replace("=", ""));
                    case 1 -> gen.writeString(random.nextInt(10) == 0 ? base64 + "\n" : base64);
                    default -> gen.writeBinary(e.data());
                }
            });
        }
        if (random.nextInt(30) != 0) {
            members.add(gen -> gen.writeStringField("PartitionKey", e.partitionKey()));
        }
        if (e.explicitHashKey() != null) {
            members.add(gen -> gen.writeStringField("ExplicitHashKey", e.explicitHashKey()));
        } else if (random.nextInt(4) == 0) {
            members.add(gen -> gen.writeNullField("ExplicitHashKey"));
        }
        if (random.nextInt(8) == 0) {
            members.add(gen -> gen.writeStringField("SequenceNumberForOrdering", "12"));
        }
        if (random.nextInt(8) == 0) {
            members.add(gen -> unknown(gen, random, 0));
        }
        if (random.nextInt(20) == 0) {
            members.add(gen -> gen.writeStringField("PartitionKey", "again")); // a duplicate: the last wins
        }
        Collections.shuffle(members, random);
        for (Member m : members) {
            m.write(g);
        }
    }

    private static void unknown(JsonGenerator g, Random random, int depth) throws IOException {
        g.writeFieldName("X" + random.nextInt(5));
        unknownValue(g, random, depth);
    }

    private static void unknownValue(JsonGenerator g, Random random, int depth) throws IOException {
        switch (random.nextInt(depth > 2 ? 6 : 8)) {
            case 0 -> g.writeString("ü€😀" + random.nextInt());
            case 1 -> g.writeNumber(random.nextLong());
            case 2 -> g.writeNumber(random.nextDouble());
            case 3 -> g.writeBoolean(random.nextBoolean());
            case 4 -> g.writeNull();
            case 5 -> g.writeNumber(new BigInteger(130, random));
            case 6 -> {
                g.writeStartArray();
                for (int i = random.nextInt(3); i > 0; i--) {
                    unknownValue(g, random, depth + 1);
                }
                g.writeEndArray();
            }
            default -> {
                g.writeStartObject();
                for (int i = random.nextInt(3); i > 0; i--) {
                    unknown(g, random, depth + 1);
                }
                g.writeEndObject();
            }
        }
    }

    private interface Member {
        void write(JsonGenerator g) throws IOException;
    }

    private static final String[] KEY_CHARS = {"a", "Z", "0", "-", "é", "ß", "€", "中", "😀", "\u0000", "\"", "\\"};

    static List<PutEntry> randomEntries(Random random, int n) {
        List<PutEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder key = new StringBuilder();
            for (int k = 1 + random.nextInt(random.nextInt(10) == 0 ? 128 : 16); k > 0; k--) {
                key.append(KEY_CHARS[random.nextInt(KEY_CHARS.length)]);
            }
            String hashKey = random.nextInt(3) == 0 ? new BigInteger(1 + random.nextInt(128), random).toString() : null;
            byte[] data;
            if (random.nextInt(10) == 0) {
                data = new byte[256 + random.nextInt(1745)];
                for (int b = 0; b < data.length; b++) {
                    data[b] = (byte) b; // every byte value
                }
            } else {
                data = new byte[random.nextInt(10) == 0 ? 0 : random.nextInt(2001)];
                random.nextBytes(data);
            }
            entries.add(PutEntry.of(key.toString(), hashKey, data));
        }
        return entries;
    }

    // ---- responses

    @Test
    void streamedPutRecordsRepliesAreTheTreesByteForByte() throws IOException {
        Random random = new Random(SEED + 4);
        for (int round = 0; round < 40; round++) {
            List<PutResult> results = new ArrayList<>();
            for (int i = random.nextInt(round == 0 ? 1 : 501); i > 0; i--) {
                results.add(random.nextInt(5) == 0
                        ? PutResult.failure("ProvisionedThroughputExceededException", "Rate exceeded for shard é")
                        : PutResult.success("shardId-00000000000" + random.nextInt(4),
                        new BigInteger(180, random).toString(), random.nextInt(1000)));
            }
            assertSameBytes(TreeReference.putRecords(results), new PutRecordsReply(results));
        }
    }

    @Test
    void streamedGetRecordsRepliesAreTheTreesByteForByte() throws IOException {
        Random random = new Random(SEED + 5);
        for (int round = 0; round < 40; round++) {
            List<Record> records = new ArrayList<>();
            List<PutEntry> entries = randomEntries(random, round == 0 ? 0 : random.nextInt(300));
            for (PutEntry e : entries) {
                long millis = switch (random.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> 1_732_530_000_000L;
                    default -> random.nextLong(4_102_444_800_000L);
                };
                records.add(new Record(new BigInteger(180, random).toString(), millis, e.data(), e.partitionKey(),
                        random.nextInt(100), null, null, Map.of()));
            }
            List<ChildShard> children = random.nextInt(3) != 0 ? List.of() : List.of(
                    new ChildShard("shardId-000000000001", List.of("shardId-000000000000"), BigInteger.ZERO,
                            BigInteger.ONE.shiftLeft(127)),
                    new ChildShard("shardId-000000000002", List.of("shardId-000000000000", "shardId-000000000009"),
                            BigInteger.ONE.shiftLeft(127).add(BigInteger.ONE),
                            BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE)));
            GetRecordsResult result = new GetRecordsResult(records,
                    random.nextInt(4) == 0 ? null : "AAAA" + random.nextInt(), random.nextInt(3) == 0
                    ? random.nextLong(Long.MAX_VALUE) : random.nextInt(100_000), children, "s", "shardId-0", false);
            assertSameBytes(TreeReference.getRecords(result), new GetRecordsReply(result));
        }
    }

    private static void assertSameBytes(ObjectNode reference, StreamedReply reply) throws IOException {
        for (WireFormat format : WireFormat.values()) {
            byte[] expected = format.mapper().writeValueAsBytes(reference);
            byte[] actual = reply.encode(format).getBytes();
            JsonNode expectedTree = format.mapper().readTree(expected);
            assertEquals(expectedTree, format.mapper().readTree(actual), format + ", seed " + SEED);
            assertArrayEquals(expected, actual, format + ", seed " + SEED);
        }
    }

    @Test
    void cborReplyTimestampsKeepTheirTag() throws IOException {
        GetRecordsResult result = new GetRecordsResult(List.of(new Record("1", 1_732_530_000_123L, new byte[]{1},
                "k", 0, null, null, Map.of())), "it", 0, List.of(), "s", "shardId-0", true);
        byte[] bytes = new GetRecordsReply(result).encode(WireFormat.CBOR).getBytes();
        assertEquals(true, java.util.HexFormat.of().formatHex(bytes).contains("c11b" + String.format("%016x",
                1_732_530_000_123L)));
        assertEquals(CBORGenerator.class, WireFormat.CBOR.mapper().createGenerator(new ByteArrayOutputStream())
                .getClass());
    }
}
