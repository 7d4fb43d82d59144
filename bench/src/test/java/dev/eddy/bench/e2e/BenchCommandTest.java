package dev.eddy.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;

import static dev.eddy.bench.e2e.BenchRun.bench;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eddy bench} end to end against an in-process server: a small run verifies and reports JSON. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchCommandTest extends AbstractEddyTest {

    @Test
    void smallRunVerifiesAndPrintsOneJsonObject() throws Exception {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--records", "5000", "--record-size", "256",
                "--batch", "200", "--json", "--no-progress");
        assertEquals(0, run.exit(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals(5000, json.at("/write/records").asLong());
        assertEquals(5000, json.at("/read/records").asLong());
        assertTrue(json.at("/write/recordsPerSec").asDouble() > 0);
        assertTrue(json.at("/read/mibPerSec").asDouble() > 0);
        for (String field : List.of("p50", "p99", "max")) {
            assertTrue(json.at("/write/latencyMs/" + field).isNumber(), field);
        }
        assertTrue(json.at("/verify/ok").asBoolean(), run.out());
        for (String field : List.of("lost", "duplicated", "corrupted", "reordered", "nonIncreasing")) {
            assertEquals(0, json.at("/verify/" + field).asLong(), field);
        }
        assertEquals(run.out().strip(), json.toString(), "stdout is exactly one JSON object");
        // The server's CPU from its /metrics, over each phase and over both (per record written).
        for (String phase : List.of("write", "read", "total")) {
            assertTrue(json.at("/serverCpu/" + phase + "/known").asBoolean(), run.out());
            assertEquals(5000, json.at("/serverCpu/" + phase + "/records").asLong(), phase);
        }
        assertTrue(json.at("/serverCpu/total/seconds").asDouble() > 0, run.out());
        assertTrue(json.at("/serverCpu/total/microsPerRecord").asDouble() > 0, run.out());
        assertEquals("cbor", json.at("/config/wire").asText());
        assertEquals("application/x-amz-cbor-1.1", json.at("/config/putContentType").asText());
    }

    @Test
    void jsonWire() throws Exception {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--records", "1000", "--record-size", "64",
                "--batch", "100", "--wire", "json", "--json", "--no-progress");
        assertEquals(0, run.exit(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertTrue(json.at("/verify/ok").asBoolean(), run.out());
        assertEquals("application/x-amz-json-1.1", json.at("/config/putContentType").asText());
    }

    @Test
    void textReportOverHttp2() {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--records", "2000", "--record-size", "100",
                "--shards", "2", "--keys", "7", "--batch", "50", "--concurrency", "3", "--http2");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("verify: OK"), run.out());
        assertTrue(run.out().contains("records/s"), run.out());
        assertTrue(run.out().contains("server CPU: ") && run.out().contains(" us per record written and read back"),
                run.out());
    }

    @Test
    void badArgumentsExitWithTwo() {
        assertEquals(2, bench("--records", "10").exit(), "no endpoint");
        assertEquals(2, bench("--endpoint", "http://localhost:1", "--batch", "501").exit());
        assertEquals(2, bench("--endpoint", "http://localhost:1", "--records", "many").exit());
        assertEquals(2, bench("--endpoint", "http://localhost:1", "--frobnicate").exit());
        BenchRun help = bench("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--endpoint"));
    }
}
