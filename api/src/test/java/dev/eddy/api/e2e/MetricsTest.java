package dev.eddy.api.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} after real workloads: the counters equal what the AWS SDK v2, the REST client and a
 * WebSocket subscriber saw, per stream, and a workload with 10,000 distinct partition keys adds no series.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest extends AbstractSdkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private final HttpClient http = HttpClient.newHttpClient();

    /** The exposition's samples, {@code name{labels}} (labels as written, sorted by the registry) to value. */
    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(eddy.endpoint() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a sample line: " + line);
            samples.put(m.group(1) + "{" + (m.group(3) == null ? "" : m.group(3)) + "}", Double.parseDouble(m.group(4)));
        }
        return samples;
    }

    private static double value(Map<String, Double> samples, String key) {
        Double v = samples.get(key);
        return v == null ? 0 : v;
    }

    private int putRecords(String stream, int from, int to, int dataBytes) {
        int acknowledged = 0;
        for (int start = from; start < to; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + i)
                        .data(SdkBytes.fromByteArray(new byte[dataBytes])).build());
            }
            var response = client.putRecords(b -> b.streamName(stream).records(entries));
            acknowledged += entries.size() - response.failedRecordCount();
        }
        return acknowledged;
    }

    @Test
    void countersEqualWhatTheClientsSawPerStream() throws Exception {
        String stream = "metrics-counted";
        String other = "metrics-other";
        Shards.createStream(client, stream, 2);
        Shards.createStream(client, other, 1);
        Map<String, Double> before = scrape();

        int acknowledged = putRecords(stream, 0, 730, 100);
        for (int i = 0; i < 7; i++) {
            client.putRecord(b -> b.streamName(stream).partitionKey("single").data(SdkBytes.fromUtf8String("0123456789")));
            acknowledged++;
        }
        putRecords(other, 0, 5, 1);
        RestClient rest = new RestClient(eddy.endpoint());
        assertEquals(201, rest.post(RestClient.events(stream, "order-1"),
                "{\"events\": [{\"data\": {\"n\": 1}}, {\"data\": {\"n\": 2}}]}").status());
        acknowledged += 2;
        // A version conflict appends nothing and is a REST error of this stream.
        assertEquals(409, rest.post(RestClient.events(stream, "order-1"),
                "{\"expectedVersion\": \"none\", \"events\": [{\"data\": 3}]}").status());
        // Errors the SDK sees: an unknown shard of this stream, and an unknown stream.
        for (int i = 0; i < 3; i++) {
            assertThrows(ResourceNotFoundException.class, () -> client.getShardIterator(b -> b.streamName(stream)
                    .shardId("shardId-000000000099").shardIteratorType(ShardIteratorType.TRIM_HORIZON)));
        }
        assertThrows(ResourceNotFoundException.class, () -> client.describeStream(b -> b.streamName("metrics-none")));

        // Everything read back with GetRecords.
        int read = 0;
        for (Shard shard : client.listShards(b -> b.streamName(stream)).shards()) {
            String it = client.getShardIterator(b -> b.streamName(stream).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            while (true) {
                String at = it;
                GetRecordsResponse page = client.getRecords(b -> b.shardIterator(at));
                read += page.records().size();
                it = page.nextShardIterator();
                if (page.records().isEmpty() && page.millisBehindLatest() == 0) {
                    break;
                }
            }
        }
        assertEquals(acknowledged, read);

        // A WebSocket subscriber from TRIM_HORIZON.
        try (WsSubscriber s = WsSubscriber.vertx(eddy.vertx(), eddy.port(),
                "/v1/streams/" + stream + "/subscribe?from=TRIM_HORIZON", false)) {
            s.keepData = false;
            s.awaitEvents(acknowledged, WAIT);
            Map<String, Double> open = scrape();
            assertEquals(1.0, value(open, "eddy_subscriptions_open{group=\"\",stream=\"" + stream + "\"}"));
        }

        Map<String, Double> after = scrape();
        String s = "stream=\"" + stream + "\"";
        assertEquals(acknowledged, value(after, "eddy_incoming_records_total{" + s + "}")
                - value(before, "eddy_incoming_records_total{" + s + "}"));
        // Data bytes: 730 x 100 + 7 x 10 + the two REST events' JSON text {"n":1} and {"n":2}.
        assertEquals(730 * 100 + 7 * 10 + 7 + 7, value(after, "eddy_incoming_bytes_total{" + s + "}")
                - value(before, "eddy_incoming_bytes_total{" + s + "}"));
        assertEquals(5, value(after, "eddy_incoming_records_total{stream=\"" + other + "\"}"));
        assertEquals(read, value(after, "eddy_outgoing_records_total{" + s + ",via=\"get_records\"}"));
        assertEquals(acknowledged, value(after, "eddy_outgoing_records_total{" + s + ",via=\"websocket\"}"));
        assertEquals(3, value(after, "eddy_requests_total{api=\"kinesis\",operation=\"GetShardIterator\","
                + "outcome=\"ResourceNotFoundException\"," + s + "}"));
        assertTrue(value(after, "eddy_requests_total{api=\"kinesis\",operation=\"DescribeStream\","
                + "outcome=\"ResourceNotFoundException\",stream=\"\"}") >= 1, "unknown streams are labelled \"\"");
        assertEquals(7, value(after, "eddy_requests_total{api=\"kinesis\",operation=\"PutRecord\",outcome=\"success\","
                + s + "}"));
        assertEquals(2, value(after, "eddy_requests_total{api=\"kinesis\",operation=\"PutRecords\",outcome=\"success\","
                + s + "}"));
        assertEquals(1, value(after, "eddy_requests_total{api=\"rest\",operation=\"AppendEvents\","
                + "outcome=\"version-conflict\"," + s + "}"));
        assertEquals(1, value(after, "eddy_requests_total{api=\"rest\",operation=\"AppendEvents\",outcome=\"success\","
                + s + "}"));
        assertEquals(7, value(after, "eddy_request_duration_seconds_count{api=\"kinesis\",operation=\"PutRecord\","
                + s + "}"));
        assertEquals(0, value(after, "eddy_write_throttled_total{" + s + "}"));
        assertTrue(after.containsKey("eddy_read_throttled_total{" + s + "}"), "throttling counters exist at zero");
        assertTrue(value(after, "eddy_storage_append_duration_seconds_count{backend=\"" + eddy.server().backend()
                + "\"}") > 0);
        assertTrue(value(after, "eddy_storage_commit_appends_count{backend=\"" + eddy.server().backend() + "\"}") > 0);
        assertTrue(after.containsKey("eddy_get_records_iterator_age_seconds{" + s + "}"));
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")), "JVM meters");
        // The standard Prometheus client's CPU counter (the bench reads it); Micrometer's ns variant stays out.
        assertTrue(value(after, "process_cpu_seconds_total{}") > 0, "process_cpu_seconds_total");
        assertFalse(after.keySet().stream().anyMatch(k -> k.startsWith("process_cpu_time_ns")));

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (value(scrape(), "eddy_subscriptions_open{group=\"\"," + s + "}") != 0) {
            assertTrue(System.nanoTime() < deadline, "the closed subscription is still counted");
            Thread.sleep(20);
        }
        // Stored records are re-counted every few seconds.
        while (value(scrape(), "eddy_stream_stored_records{" + s + "}") != acknowledged) {
            assertTrue(System.nanoTime() < deadline, "stored records never reached " + acknowledged);
            Thread.sleep(200);
        }
        // Stored bytes: the data bytes of every record (nothing was trimmed).
        while (value(scrape(), "eddy_stream_stored_bytes{" + s + "}") != 730 * 100 + 7 * 10 + 7 + 7) {
            assertTrue(System.nanoTime() < deadline, "stored bytes never reached the data bytes put");
            Thread.sleep(200);
        }

        // A deleted stream's series go away.
        client.deleteStream(b -> b.streamName(other));
        Map<String, Double> gone = scrape();
        assertFalse(gone.keySet().stream().anyMatch(k -> k.contains("stream=\"" + other + "\"")),
                "series of a deleted stream remain");
    }

    @Test
    void tenThousandPartitionKeysAddNoSeries() throws Exception {
        String stream = "metrics-keys";
        Shards.createStream(client, stream, 4);
        putRecords(stream, 0, 500, 10);
        Map<String, Double> warm = scrape();
        assertEquals(10_000, putRecords(stream, 0, 10_000, 10));
        Map<String, Double> after = scrape();
        List<String> added = after.keySet().stream().filter(k -> !warm.containsKey(k)).toList();
        assertTrue(added.size() < 10, "series added by 10,000 keys: " + added);
        assertFalse(after.keySet().stream().anyMatch(k -> k.contains("key-")), "a partition key became a label");
    }
}
