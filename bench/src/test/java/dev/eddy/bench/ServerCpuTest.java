package dev.eddy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading process_cpu_seconds_total out of a Prometheus text exposition, and the figure per record. */
class ServerCpuTest {

    @Test
    void readsTheCounterAmongOtherMetrics() {
        String exposition = """
                # HELP process_cpu_usage The "recent cpu usage" for the Java Virtual Machine process
                # TYPE process_cpu_usage gauge
                process_cpu_usage 0.25
                # HELP process_cpu_seconds_total CPU time used by the server process, all threads, user and system
                # TYPE process_cpu_seconds_total counter
                process_cpu_seconds_total 12.5
                process_cpu_seconds_total_created 1.7E9
                eddy_incoming_records_total{stream="process_cpu_seconds_total"} 99
                """;
        assertEquals(OptionalDouble.of(12.5), ServerCpu.parse(exposition));
    }

    @Test
    void acceptsLabelsTimestampsAndExponentsAndSumsLabelSets() {
        String exposition = "process_cpu_seconds_total{instance=\"a\"} 1.5e1 1700000000000\n"
                + "process_cpu_seconds_total{instance=\"b\"} 0.5\n";
        assertEquals(OptionalDouble.of(15.5), ServerCpu.parse(exposition));
    }

    @Test
    void absentWhenTheServerDoesNotExposeIt() {
        assertEquals(OptionalDouble.empty(), ServerCpu.parse("process_cpu_usage 0.25\n# TYPE x counter\n"));
        assertEquals(OptionalDouble.empty(), ServerCpu.parse(""));
    }

    @Test
    void perRecordFigureAndUnknown() {
        ServerCpu cpu = ServerCpu.between(OptionalDouble.of(10), OptionalDouble.of(12.5), 50_000, "record written");
        assertEquals(50.0, cpu.microsPerRecord(), 1e-9);
        assertEquals("server CPU: 2.50 s over 50,000 records = 50.0 us per record written", cpu.text("server CPU"));
        ObjectNode json = new ObjectMapper().createObjectNode();
        cpu.json(json);
        assertEquals(50.0, json.get("microsPerRecord").asDouble(), 1e-9);

        ServerCpu unknown = ServerCpu.between(OptionalDouble.of(10), OptionalDouble.empty(), 50_000, "record");
        assertFalse(unknown.known());
        assertEquals("server CPU: unknown (no /metrics)", unknown.text("server CPU"));
        ObjectNode none = new ObjectMapper().createObjectNode();
        unknown.json(none);
        assertFalse(none.get("known").asBoolean());
        assertTrue(none.path("seconds").isMissingNode());
    }
}
