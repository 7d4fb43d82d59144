package dev.eddy.api.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSocket subscriptions over the wire, with the Vert.x client and {@code java.net.http.WebSocket}; records
 * are written with the AWS SDK v2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscribeTest extends AbstractSdkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Puts records {@code from..to-1}, data {@code {"n": i}}, keys from {@code keyOf}. */
    private void put(String stream, int from, int to, IntFunction<String> keyOf) {
        for (int start = from; start < to; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey(keyOf.apply(i))
                        .data(SdkBytes.fromUtf8String("{\"n\":" + i + "}")).build());
            }
            PutRecordsResponse response = client.putRecords(b -> b.streamName(stream).records(entries));
            assertEquals(0, response.failedRecordCount());
        }
    }

    private static void assertExactlyOnceInShardOrder(List<JsonObject> events, int expected) {
        Set<Integer> seen = new HashSet<>();
        Map<String, BigInteger> lastPerShard = new HashMap<>();
        for (JsonObject e : events) {
            assertTrue(seen.add(e.getJsonObject("data").getInteger("n")), "duplicate " + e);
            BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
            BigInteger last = lastPerShard.put(e.getString("shardId"), seq);
            assertTrue(last == null || last.compareTo(seq) < 0, "out of order in " + e.getString("shardId"));
        }
        assertEquals(expected, seen.size());
        for (int i = 0; i < expected; i++) {
            assertTrue(seen.contains(i), "missing event " + i);
        }
    }

    @Test
    void catchUpThenLiveWithoutGapOrDuplicateOnBothClients() throws Exception {
        String stream = "catchup";
        Shards.createStream(client, stream, 4);
        int existing = 5000;
        int live = 600;
        put(stream, 0, existing, i -> "agg-" + (i % 97));
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        try (WsSubscriber vertx = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false);
             WsSubscriber jdk = WsSubscriber.jdk(eddy.port(), uri, false)) {
            // A producer at ~300 events/s for two seconds, while both subscribers catch up.
            Thread producer = new Thread(() -> {
                for (int i = existing; i < existing + live; i += 10) {
                    put(stream, i, i + 10, k -> "agg-" + (k % 97));
                    try {
                        Thread.sleep(33);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            producer.start();
            producer.join(WAIT.toMillis());
            for (WsSubscriber s : List.of(vertx, jdk)) {
                List<JsonObject> events = s.awaitEvents(existing + live, WAIT);
                Thread.sleep(200);
                assertEquals(existing + live, s.events().size(), "no extra events");
                assertExactlyOnceInShardOrder(events, existing + live);
                JsonObject first = events.get(0);
                assertEquals(stream, first.getString("stream"));
                assertNotNull(first.getString("partitionKey"));
                assertNotNull(first.getLong("version"));
                assertNotNull(Instant.parse(first.getString("arrivalTimestamp")));
                assertEquals(List.of("shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
                        "shardId-000000000003"), s.awaitFrame("shards", WAIT).getJsonArray("shards").getList());
            }
        }
    }

    @Test
    void fromTimestampStartsAtTheFirstRecordAtOrAfterIt() throws Exception {
        String stream = "timestamps";
        Shards.createStream(client, stream, 1);
        put(stream, 0, 10, i -> "k");
        Thread.sleep(20);
        put(stream, 10, 20, i -> "k");
        List<JsonObject> all;
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON",
                false)) {
            all = s.awaitEvents(20, WAIT);
        }
        String at = all.get(10).getString("arrivalTimestamp");
        long millis = Instant.parse(at).toEpochMilli();
        for (String from : List.of(at, Long.toString(millis))) {
            try (WsSubscriber s = WsSubscriber.vertx(eddy.vertx(), eddy.port(),
                    "/v1/streams/" + stream + "/subscribe?from=" + from, false)) {
                List<JsonObject> events = s.awaitEvents(10, WAIT);
                assertEquals(all.get(10).getString("sequenceNumber"), events.get(0).getString("sequenceNumber"));
                Thread.sleep(200);
                assertEquals(10, s.events().size());
            }
        }
    }

    @Test
    void fromSequenceNumberStartsThereInItsShard() {
        String stream = "bysequence";
        Shards.createStream(client, stream, 1);
        put(stream, 0, 10, i -> "k");
        List<JsonObject> all;
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON",
                false)) {
            all = s.awaitEvents(10, WAIT);
        }
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe?from="
                + all.get(4).getString("sequenceNumber"), false)) {
            List<JsonObject> events = s.awaitEvents(6, WAIT);
            assertEquals(4, events.get(0).getJsonObject("data").getInteger("n"));
        }
    }

    @Test
    void latestSeesOnlyNewRecords() throws Exception {
        String stream = "latest";
        Shards.createStream(client, stream, 2);
        put(stream, 0, 50, i -> "k" + i);
        try (WsSubscriber s = WsSubscriber.vertx(eddy.vertx(), eddy.port(), "/v1/streams/" + stream + "/subscribe",
                false)) {
            s.awaitFrame("shards", WAIT);
            put(stream, 50, 60, i -> "k" + i);
            List<JsonObject> events = s.awaitEvents(10, WAIT);
            Thread.sleep(200);
            assertEquals(10, s.events().size());
            for (JsonObject e : events) {
                assertTrue(e.getJsonObject("data").getInteger("n") >= 50);
            }
        }
    }

    @Test
    void keyAndKeyPrefixFiltersDeliverOnlyMatchingAggregates() throws Exception {
        String stream = "filters";
        Shards.createStream(client, stream, 3);
        put(stream, 0, 300, i -> switch (i % 3) {
            case 0 -> "order-1";
            case 1 -> "order-2";
            default -> "customer-1";
        });
        try (WsSubscriber exact = WsSubscriber.jdk(eddy.port(),
                "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON&key=order-1", false);
             WsSubscriber prefix = WsSubscriber.vertx(eddy.vertx(), eddy.port(),
                     "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON&keyPrefix=order-", false)) {
            List<JsonObject> one = exact.awaitEvents(100, WAIT);
            for (int v = 0; v < one.size(); v++) {
                assertEquals("order-1", one.get(v).getString("partitionKey"));
                assertEquals(v, one.get(v).getLong("version"));
            }
            List<JsonObject> orders = prefix.awaitEvents(200, WAIT);
            assertTrue(orders.stream().allMatch(e -> e.getString("partitionKey").startsWith("order-")));
            Thread.sleep(200);
            assertEquals(100, exact.events().size());
            assertEquals(200, prefix.events().size());
        }
    }

    @Test
    void heartbeatsCarryMillisBehindLatestPerShard() {
        String stream = "heartbeats";
        Shards.createStream(client, stream, 2);
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe", false)) {
            JsonObject heartbeat = s.awaitFrame("heartbeat", Duration.ofSeconds(5));
            JsonObject behind = heartbeat.getJsonObject("millisBehindLatest");
            assertEquals(Set.of("shardId-000000000000", "shardId-000000000001"), behind.fieldNames());
            assertEquals(0L, behind.getLong("shardId-000000000000"));
        }
    }

    @Test
    void creditModeSendsExactlyTheRequestedNumberOfEvents() throws Exception {
        for (boolean jdk : List.of(true, false)) {
            String stream = "credit-" + (jdk ? "jdk" : "vertx");
            Shards.createStream(client, stream, 3);
            put(stream, 0, 100, i -> "k" + i);
            String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON&credit=0";
            try (WsSubscriber s = jdk ? WsSubscriber.jdk(eddy.port(), uri, false)
                    : WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false)) {
                s.awaitFrame("shards", WAIT);
                Thread.sleep(300);
                assertEquals(0, s.events().size());
                s.send("{\"request\": 10}");
                s.awaitEvents(10, WAIT);
                Thread.sleep(300);
                assertEquals(10, s.events().size(), "exactly the credit");
                s.send("{\"request\": 95}");
                List<JsonObject> events = s.awaitEvents(100, WAIT);
                Thread.sleep(300);
                assertEquals(100, s.events().size());
                assertExactlyOnceInShardOrder(events, 100);
                put(stream, 100, 110, i -> "k" + i);
                s.awaitEvents(105, WAIT);
                Thread.sleep(300);
                assertEquals(105, s.events().size(), "the remaining credit, no more");
            }
        }
    }

    @Test
    void aClientSwitchesToCreditModeMidStream() throws Exception {
        String stream = "creditswitch";
        Shards.createStream(client, stream, 1);
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe", false)) {
            s.awaitFrame("shards", WAIT);
            put(stream, 0, 5, i -> "k");
            s.awaitEvents(5, WAIT);
            s.send("{\"request\": 3}");
            Thread.sleep(100);
            put(stream, 5, 20, i -> "k");
            s.awaitEvents(8, WAIT);
            Thread.sleep(300);
            assertEquals(8, s.events().size());
            s.send("{\"request\": 100}");
            assertExactlyOnceInShardOrder(s.awaitEvents(20, WAIT), 20);
        }
    }

    @Test
    void badRequestsCloseWithTheDocumentedCodes() throws Exception {
        String stream = "badinput";
        Shards.createStream(client, stream, 2);
        record Case(String uri, int code, String reasonPart) {
        }
        List<Case> cases = List.of(
                new Case("/v1/streams/nosuchstream/subscribe", 4404, "nosuchstream"),
                new Case("/v1/streams/" + stream + "/subscribe?from=yesterday", 4400, "yesterday"),
                new Case("/v1/streams/" + stream + "/subscribe?from=" + "9".repeat(56), 4400, "9999"),
                new Case("/v1/streams/" + stream + "/subscribe?group=bill/ing", 4400, "Invalid group"),
                new Case("/v1/streams/" + stream + "/subscribe?group=billing&sessionTimeoutMs=5", 4400,
                        "sessionTimeoutMs=5"),
                new Case("/v1/streams/" + stream + "/subscribe?sessionTimeoutMs=5000", 4400, "only for group"),
                new Case("/v1/streams/nosuchstream/subscribe?group=billing", 4404, "nosuchstream"),
                new Case("/v1/streams/" + stream + "/subscribe?key=a&keyPrefix=b", 4400, "not both"),
                new Case("/v1/streams/" + stream + "/subscribe?credit=-1", 4400, "credit=-1"),
                new Case("/v1/streams/" + stream + "/subscribe?form=LATEST", 4400, "form"));
        for (Case c : cases) {
            try (WsSubscriber jdk = WsSubscriber.jdk(eddy.port(), c.uri(), false);
                 WsSubscriber vertx = WsSubscriber.vertx(eddy.vertx(), eddy.port(), c.uri(), false)) {
                for (WsSubscriber s : List.of(jdk, vertx)) {
                    WsSubscriber.Close close = s.awaitClose(WAIT);
                    assertEquals(c.code(), close.code(), c.uri() + ": " + close);
                    assertTrue(close.reason().contains(c.reasonPart()), c.uri() + ": " + close);
                }
            }
        }
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(eddy.endpoint() + "/v1/streams/" + stream + "/subscribe")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, plain.statusCode());
        assertEquals("application/problem+json", plain.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void clientMessagesThatAreNotUnderstoodGetAnErrorFrame() {
        String stream = "messages";
        Shards.createStream(client, stream, 1);
        try (WsSubscriber s = WsSubscriber.vertx(eddy.vertx(), eddy.port(), "/v1/streams/" + stream + "/subscribe",
                false)) {
            s.awaitFrame("shards", WAIT);
            s.send("not json");
            JsonObject error = s.awaitFrame("error", WAIT);
            assertEquals("InvalidMessage", error.getString("code"));
            s.send("{\"request\": -3}");
            s.send("{\"checkpoint\": {\"shardId\": \"shardId-000000000000\", \"sequenceNumber\": \"1\"}}");
            List<JsonObject> errors = new ArrayList<>();
            long deadline = System.currentTimeMillis() + WAIT.toMillis();
            while (errors.size() < 3 && System.currentTimeMillis() < deadline) {
                errors = s.frames().stream().filter(f -> "error".equals(f.getString("frame"))).toList();
                Thread.onSpinWait();
            }
            assertEquals(List.of("InvalidMessage", "InvalidMessage", "NoGroup"),
                    errors.stream().map(e -> e.getString("code")).toList());
            assertTrue(s.closed.getNow(null) == null, "still open after bad messages");
        }
    }

    @Test
    void deletingTheStreamSendsAnErrorFrameAndCloses4410() {
        String stream = "deleted";
        Shards.createStream(client, stream, 2);
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe", false)) {
            s.awaitFrame("shards", WAIT);
            client.deleteStream(b -> b.streamName(stream));
            WsSubscriber.Close close = s.awaitClose(WAIT);
            assertEquals(4410, close.code(), close.toString());
            assertEquals("StreamDeleted", s.awaitFrame("error", WAIT).getString("code"));
        }
    }

    @Test
    void nonJsonDataComesAsBase64() {
        String stream = "binary";
        Shards.createStream(client, stream, 1);
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(new byte[] {0, 1, (byte) 0xff})));
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String("{\"a\": 1} trailing")));
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String("\"text\"")));
        try (WsSubscriber s = WsSubscriber.jdk(eddy.port(), "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON",
                false)) {
            List<JsonObject> events = s.awaitEvents(3, WAIT);
            assertEquals("AAH/", events.get(0).getString("dataBase64"));
            assertTrue(events.get(1).containsKey("dataBase64"));
            assertEquals("text", events.get(2).getString("data"));
        }
    }

    @Test
    void eventsLargerThanAFrameArriveWholeOnBothClientsInCatchUpAndLive() throws Exception {
        String stream = "big-events";
        Shards.createStream(client, stream, 1);
        // A JSON string with multi-byte characters (the frame boundaries fall inside them) and binary data.
        String text = "\u00e9\u20ac-".repeat(60_000);
        byte[] binary = new byte[900 * 1024];
        new java.util.Random(7).nextBytes(binary);
        String json = new JsonObject().put("s", text).encode();
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String(json)));
        client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(binary)));
        try (WsSubscriber vertx = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false);
             WsSubscriber jdk = WsSubscriber.jdk(eddy.port(), uri, false)) {
            for (WsSubscriber s : List.of(vertx, jdk)) {
                s.awaitEvents(2, WAIT);
            }
            // Now both follow the shard's live end: the same records again, appended while subscribed.
            client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String(json)));
            client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(binary)));
            for (WsSubscriber s : List.of(vertx, jdk)) {
                List<JsonObject> events = s.awaitEvents(4, WAIT);
                for (int i = 0; i < 4; i += 2) {
                    assertEquals(text, events.get(i).getJsonObject("data").getString("s"));
                    assertTrue(java.util.Arrays.equals(binary,
                            java.util.Base64.getDecoder().decode(events.get(i + 1).getString("dataBase64"))));
                }
            }
        }
    }

    @Test
    void aSubscriberThatStopsReadingHoldsNobodyBackAndCatchesUpWhenItReadsAgain() throws Exception {
        String stream = "pause-resume";
        Shards.createStream(client, stream, 2);
        String uri = "/v1/streams/" + stream + "/subscribe?from=LATEST";
        int total = 4000;
        String pad = "x".repeat(5000);
        try (WsSubscriber reading = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false);
             WsSubscriber vertx = WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false);
             WsSubscriber jdk = WsSubscriber.jdk(eddy.port(), uri, false)) {
            for (WsSubscriber s : List.of(reading, vertx, jdk)) {
                s.keepData = false;
                s.awaitFrame("shards", WAIT);
            }
            put(stream, 0, 10, i -> "agg-" + (i % 13));
            for (WsSubscriber s : List.of(reading, vertx, jdk)) {
                s.pollEvents(10, WAIT);
            }
            vertx.pause();
            jdk.pause();
            // ~20 MB while two of them read nothing: far more than a socket's write queue and TCP buffers.
            for (int start = 10; start < total; start += 100) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = start; i < Math.min(total, start + 100); i++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("agg-" + (i % 13))
                            .data(SdkBytes.fromUtf8String("{\"n\":" + i + ",\"pad\":\"" + pad + "\"}")).build());
                }
                assertEquals(0, client.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount());
            }
            // The subscriber that reads got everything while the others were stalled.
            List<JsonObject> first = reading.pollEvents(total, WAIT);
            assertTrue(vertx.events().size() < total && jdk.events().size() < total,
                    "the stalled subscribers cannot have read everything: " + vertx.events().size() + ", "
                            + jdk.events().size());
            vertx.resume();
            jdk.resume();
            put(stream, total, total + 50, i -> "agg-" + (i % 13));
            assertExactlyOnceInShardOrderWithoutData(reading.pollEvents(total + 50, WAIT), total + 50);
            assertExactlyOnceInShardOrderWithoutData(vertx.pollEvents(total + 50, WAIT), total + 50);
            assertExactlyOnceInShardOrderWithoutData(jdk.pollEvents(total + 50, WAIT), total + 50);
            assertEquals(total, first.size());
        }
    }

    @Test
    void subscribersJoiningOneByOneWhileAProducerRunsEachGetEveryEventOnce() throws Exception {
        String stream = "joining";
        Shards.createStream(client, stream, 3);
        int total = 3000;
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        Thread producer = new Thread(() -> {
            for (int i = 0; i < total; i += 20) {
                put(stream, i, i + 20, k -> "agg-" + (k % 31));
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        producer.start();
        List<WsSubscriber> subscribers = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                subscribers.add(i % 3 == 2 ? WsSubscriber.jdk(eddy.port(), uri, false)
                        : WsSubscriber.vertx(eddy.vertx(), eddy.port(), uri, false));
                Thread.sleep(150);
            }
            producer.join(WAIT.toMillis());
            for (WsSubscriber s : subscribers) {
                assertExactlyOnceInShardOrder(s.pollEvents(total, WAIT), total);
            }
        } finally {
            producer.interrupt();
            subscribers.forEach(WsSubscriber::close);
        }
    }

    @Test
    void aClientThatNegotiatedPerMessageDeflateReadsEventsAndHeartbeats() throws Exception {
        String stream = "deflate";
        Shards.createStream(client, stream, 2);
        put(stream, 0, 100, i -> "agg-" + (i % 7));
        String uri = "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON";
        try (WsSubscriber s = WsSubscriber.vertxDeflate(eddy.vertx(), eddy.port(), uri)) {
            s.awaitEvents(100, WAIT);
            put(stream, 100, 200, i -> "agg-" + (i % 7));
            assertExactlyOnceInShardOrder(s.pollEvents(200, WAIT), 200);
            assertTrue(String.valueOf(s.extensions).contains("permessage-deflate"), "negotiated: " + s.extensions);
            // Eddy's frames are sent uncompressed (allowed by RFC 7692), the client reads them all.
            JsonObject heartbeat = s.awaitFrame("heartbeat", WAIT);
            assertEquals(2, heartbeat.getJsonObject("millisBehindLatest").size());
            s.send("{\"request\": \"x\"}");
            assertEquals("InvalidMessage", s.awaitFrame("error", WAIT).getString("code"));
        }
    }

    /** Like {@link #assertExactlyOnceInShardOrder} for events kept without data: counts by sequence number. */
    private static void assertExactlyOnceInShardOrderWithoutData(List<JsonObject> events, int expected) {
        Set<String> seen = new HashSet<>();
        Map<String, BigInteger> lastPerShard = new HashMap<>();
        for (JsonObject e : events) {
            assertTrue(seen.add(e.getString("sequenceNumber")), "duplicate " + e);
            BigInteger seq = new BigInteger(e.getString("sequenceNumber"));
            BigInteger last = lastPerShard.put(e.getString("shardId"), seq);
            assertTrue(last == null || last.compareTo(seq) < 0, "out of order in " + e.getString("shardId"));
        }
        assertEquals(expected, seen.size());
    }
}
