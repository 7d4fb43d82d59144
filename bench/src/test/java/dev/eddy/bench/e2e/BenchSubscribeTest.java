package dev.eddy.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;

import static dev.eddy.bench.e2e.BenchRun.bench;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code eddy bench --subscribe} end to end against an in-process server: a small run verifies that every
 * subscriber got every record once, in shard order, and reports latency as JSON. Asserts no timings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchSubscribeTest extends AbstractEddyTest {

    @Test
    void everySubscriberGetsEveryRecordOnceAndLatencyIsReported() throws Exception {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--subscribe", "--subscribers", "3",
                "--rate", "200", "--duration", "2s", "--warmup", "1s", "--shards", "2", "--keys", "5", "--json",
                "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals(run.out().strip(), json.toString(), "stdout is exactly one JSON object");
        assertEquals(600, json.at("/produce/planned").asLong());
        assertEquals(600, json.at("/produce/acknowledged").asLong());
        assertEquals(0, json.at("/produce/putErrors").asLong());
        assertTrue(json.at("/verify/ok").asBoolean(), run.out());
        assertEquals(600, json.at("/verify/expected").asLong());
        for (String field : List.of("lost", "duplicated", "reordered", "corrupted", "errors",
                "receivedUnacknowledged")) {
            assertEquals(0, json.at("/verify/" + field).asLong(), field);
        }
        JsonNode each = json.at("/subscribe/perSubscriber");
        assertEquals(3, each.size());
        for (JsonNode s : each) {
            assertEquals(600, s.path("events").asLong(), s.toString());
            assertEquals(600, s.path("distinct").asLong(), s.toString());
        }
        // 400 records after the 1 s warm-up, at each of 3 subscribers; each acknowledged once.
        assertEquals(1200, json.at("/subscribe/measuredEvents").asLong());
        assertEquals(400, json.at("/produce/measuredAcks").asLong());
        assertTrue(json.at("/serverCpu/known").asBoolean(), run.out());
        assertTrue(json.at("/serverCpu/seconds").asDouble() > 0, run.out());
        assertEquals(600, json.at("/serverCpu/records").asLong());
        for (String field : List.of("p50", "p90", "p99", "p999", "max")) {
            assertTrue(json.at("/subscribe/latencyMs/" + field).isNumber(), field);
            assertTrue(json.at("/subscribe/latencyFromSendMs/" + field).isNumber(), field);
        }
    }

    @Test
    void fanOutConsumersGetEveryRecordOnceThroughSubscribeToShard() throws Exception {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--subscribe", "--fan-out", "--subscribers",
                "2", "--rate", "200", "--duration", "2s", "--warmup", "1s", "--shards", "2", "--keys", "5", "--json",
                "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals("fan-out", json.at("/config/subscriberKind").asText(), run.out());
        assertTrue(json.at("/verify/ok").asBoolean(), run.out());
        assertEquals(600, json.at("/verify/expected").asLong());
        JsonNode each = json.at("/subscribe/perSubscriber");
        assertEquals(2, each.size());
        for (JsonNode s : each) {
            assertEquals(600, s.path("distinct").asLong(), s.toString());
        }
        assertEquals(800, json.at("/subscribe/measuredEvents").asLong());
        assertTrue(json.at("/subscribe/latencyMs/p50").isNumber());
    }

    @Test
    void textReport() {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--subscribe", "--subscribers", "2",
                "--rate", "100", "--duration", "1s", "--warmup", "0s", "--event-loops", "2", "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("verify: OK"), run.out());
        assertTrue(run.out().contains("put-to-receive latency"), run.out());
        assertTrue(run.out().contains("server CPU: "), run.out());
    }

    @Test
    void badSubscribeArgumentsExitWithTwo() {
        String endpoint = "http://localhost:1";
        assertEquals(2, bench("--endpoint", endpoint, "--subscribe", "--duration", "soon").exit());
        assertEquals(2, bench("--endpoint", endpoint, "--subscribe", "--subscribers", "0").exit());
        assertEquals(2, bench("--endpoint", endpoint, "--fan-out").exit(), "--fan-out needs a subscribe mode");
        assertEquals(2, bench("--endpoint", endpoint, "--subscribe", "--rate", "1000000", "--duration", "24h").exit());
        BenchRun help = bench("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--subscribers"));
        assertTrue(help.out().contains("SCHEDULED send time"));
    }
}
