package dev.eddy.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eddy.api.e2e.EddyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static dev.eddy.bench.e2e.BenchRun.bench;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against a server with {@code --metrics false} the bench runs as usual and says the server's CPU is unknown. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchWithoutMetricsTest {

    private EddyFixture eddy;

    @BeforeAll
    void startEddyWithoutMetrics() {
        eddy = EddyFixture.start(config -> config.withMetrics(false, ""));
    }

    @AfterAll
    void stopEddy() {
        eddy.close();
    }

    @Test
    void writeAndReadSaysServerCpuUnknown() throws Exception {
        BenchRun text = bench("--endpoint", eddy.endpoint().toString(), "--records", "1000", "--record-size", "64",
                "--batch", "100", "--no-progress");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("server CPU: unknown (no /metrics)"), text.out());
        assertTrue(text.out().contains("verify: OK"), text.out());

        BenchRun json = bench("--endpoint", eddy.endpoint().toString(), "--records", "1000", "--record-size", "64",
                "--batch", "100", "--json", "--no-progress");
        assertEquals(0, json.exit(), json.err());
        JsonNode report = new ObjectMapper().readTree(json.out());
        assertFalse(report.at("/serverCpu/total/known").asBoolean(true), json.out());
        assertTrue(report.at("/verify/ok").asBoolean(), json.out());
    }

    @Test
    void latencySaysServerCpuUnknown() {
        BenchRun run = bench("--endpoint", eddy.endpoint().toString(), "--latency", "--rate", "50",
                "--duration", "1s", "--warmup", "0s", "--producer", "http", "--no-progress");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("server CPU: unknown (no /metrics)"), run.out());
    }
}
