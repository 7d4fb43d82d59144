package dev.eddy.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.eddy.bench.e2e.BenchRun.bench;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code eddy bench --latency} end to end against an in-process server, with both producers and both of the
 * SDK's wire formats: the report has acknowledgement and put-to-receive histograms with the expected sample
 * counts, the verification passes and the server's CPU is reported. Asserts no timings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchLatencyTest extends AbstractEddyTest {

    @ParameterizedTest(name = "producer {0}, wire {1}")
    @CsvSource({
            "sdk,  cbor, application/x-amz-cbor-1.1",
            "sdk,  json, application/x-amz-json-1.1",
            "http, json, application/x-amz-json-1.1"})
    void reportsAcknowledgementAndReceiveLatencyAndServerCpu(String producer, String wire, String contentType)
            throws Exception {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--latency", "--rate", "200",
                "--duration", "2s", "--warmup", "1s", "--producer", producer, "--wire", wire, "--json",
                "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals(run.out().strip(), json.toString(), "stdout is exactly one JSON object");
        assertEquals("latency", json.at("/config/mode").asText());
        assertEquals(producer, json.at("/config/producer").asText());
        assertEquals(wire, json.at("/config/wire").asText());
        assertEquals(contentType, json.at("/config/putContentType").asText(), "the wire really carried it");
        assertEquals(1, json.at("/config/subscribers").asInt());
        assertEquals(1, json.at("/config/shards").asInt(), "one shard unless --shards");
        assertEquals(600, json.at("/produce/planned").asLong());
        assertEquals(600, json.at("/produce/acknowledged").asLong());
        // 2 s at 200/s after the 1 s warm-up: 400 acknowledgements and 400 deliveries to the one subscriber.
        assertEquals(400, json.at("/produce/measuredAcks").asLong());
        assertEquals(400, json.at("/subscribe/measuredEvents").asLong());
        for (String histogram : List.of("/produce/ackLatencyMs/", "/produce/putLatencyMs/", "/subscribe/latencyMs/",
                "/subscribe/latencyFromSendMs/")) {
            for (String field : List.of("p50", "p90", "p99", "p999", "max")) {
                assertTrue(json.at(histogram + field).isNumber(), histogram + field);
            }
        }
        assertTrue(json.at("/verify/ok").asBoolean(), run.out());
        assertEquals(600, json.at("/verify/expected").asLong());
        assertTrue(json.at("/serverCpu/known").asBoolean(), run.out());
        assertTrue(json.at("/serverCpu/seconds").asDouble() > 0, run.out());
        assertEquals(600, json.at("/serverCpu/records").asLong());
        assertTrue(json.at("/serverCpu/microsPerRecord").asDouble() > 0, run.out());
    }

    @Test
    void lowRateTextReport() {
        // 20 records/s: the unpaced warm-up calls do not hold it up; 20 measured samples of each latency.
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--latency", "--rate", "20",
                "--duration", "1s", "--warmup", "0s", "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        String out = run.out();
        assertTrue(out.startsWith("eddy bench --latency:"), out);
        assertTrue(out.contains("acknowledgement latency (PutRecord answered), 20 records after the warm-up"), out);
        assertTrue(out.contains("put-to-receive latency, 20 events after the warm-up"), out);
        assertTrue(out.contains("from the scheduled send: p50 "), out);
        assertTrue(out.contains("from the actual send:    p50 "), out);
        assertTrue(out.contains("server CPU: ") && out.contains(" us per record put and delivered"), out);
        assertTrue(out.contains("verify: OK"), out);
    }

    @Test
    void badLatencyArgumentsExitWithTwo() {
        String endpoint = "http://localhost:1";
        assertEquals(2, bench("--endpoint", endpoint, "--latency", "--subscribers", "3").exit());
        assertEquals(2, bench("--endpoint", endpoint, "--latency", "--subscribe").exit());
        assertEquals(2, bench("--endpoint", endpoint, "--latency", "--producer", "http", "--wire", "cbor").exit());
        assertEquals(2, bench("--endpoint", endpoint, "--latency", "--wire", "xml").exit());
        BenchRun help = bench("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--latency"));
        assertTrue(help.out().contains("--wire"));
    }
}
