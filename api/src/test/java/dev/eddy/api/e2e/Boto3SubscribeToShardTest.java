package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * boto3's {@code subscribe_to_shard} (Python, HTTP/1.1 with a chunked event stream, JSON): every record from
 * TRIM_HORIZON in order, continuation numbers on every event, and a second subscription after the first one's
 * last continuation number that repeats nothing. Runs {@code src/test/python/subscribe_to_shard.py} with the
 * machine's {@code python3} (boto3 installed, as {@code .ci/run} makes sure).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Boto3SubscribeToShardTest extends AbstractSdkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of("src/test/python/subscribe_to_shard.py");

    private List<JsonNode> runScript(String consumerArn, int count, String after) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString(), eddy.endpoint().toString(),
                consumerArn, "shardId-000000000000", Integer.toString(count)));
        if (after != null) {
            command.add(after);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("boto3 did not get " + count + " records within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "the boto3 script failed: " + err + out);
        List<JsonNode> events = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    private static List<String> data(List<JsonNode> events) {
        List<String> out = new ArrayList<>();
        events.forEach(e -> e.get("records").forEach(r -> out.add(r.get(1).asText())));
        return out;
    }

    private void put(int from, int to) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = from; i < to; i++) {
            entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (i % 5))
                    .data(SdkBytes.fromUtf8String("event-" + i)).build());
        }
        assertEquals(0, client.putRecords(b -> b.streamName("py-fanout").records(entries)).failedRecordCount());
    }

    @Test
    void boto3ReadsEveryRecordInOrderAndResumesAfterItsContinuation() throws Exception {
        assertTrue(SCRIPT.toFile().isFile(), "run from the api module's directory");
        Shards.createStream(client, "py-fanout", 1);
        put(0, 300);
        String streamArn = client.describeStreamSummary(b -> b.streamName("py-fanout")).streamDescriptionSummary()
                .streamARN();
        String consumer = client.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("python"))
                .consumer().consumerARN();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (client.describeStreamConsumer(b -> b.consumerARN(consumer)).consumerDescription().consumerStatus()
                != ConsumerStatus.ACTIVE) {
            assertTrue(System.nanoTime() < deadline, "consumer never ACTIVE");
            Thread.sleep(20);
        }

        List<JsonNode> first = runScript(consumer, 300, null);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            expected.add("event-" + i);
        }
        assertEquals(expected, data(first));
        for (JsonNode e : first) {
            assertNotNull(e.get("continuation").textValue(), "every event of an open shard carries a continuation");
            JsonNode records = e.get("records");
            if (!records.isEmpty()) {
                assertEquals(records.get(records.size() - 1).get(0).asText(), e.get("continuation").asText());
            }
        }
        String continuation = first.get(first.size() - 1).get("continuation").asText();

        put(300, 350);
        // The first subscription ended when the script closed its stream; a new one may start after 5 s at most.
        List<JsonNode> second = null;
        for (int attempt = 0; attempt < 20 && second == null; attempt++) {
            try {
                second = runScript(consumer, 50, continuation);
            } catch (AssertionError e) {
                if (!String.valueOf(e.getMessage()).contains("ResourceInUseException")) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
        assertNotNull(second, "the second subscription never started");
        List<String> rest = new ArrayList<>();
        for (int i = 300; i < 350; i++) {
            rest.add("event-" + i);
        }
        assertEquals(rest, data(second), "after the continuation: nothing lost, nothing repeated");
    }
}
