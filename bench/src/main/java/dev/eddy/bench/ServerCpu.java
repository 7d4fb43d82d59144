package dev.eddy.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * The server's own CPU time over a phase of the bench, from {@code process_cpu_seconds_total} on its
 * {@code /metrics} (Prometheus text format) read before and after, and what it comes to per record. Unknown
 * when the server serves no metrics ({@code --metrics false}) or cannot be reached; the bench carries on.
 * Immutable; {@link Probe} is thread-safe.
 *
 * @param seconds server CPU seconds over the phase, or a negative number when unknown
 * @param records the records the figure is divided by
 * @param per     what a record is here, for the report (e.g. "record written")
 */
record ServerCpu(double seconds, long records, String per) {

    static final String METRIC = "process_cpu_seconds_total";

    boolean known() {
        return seconds >= 0;
    }

    /** Server CPU microseconds per record, or a negative number when unknown or no record was counted. */
    double microsPerRecord() {
        return known() && records > 0 ? seconds * 1e6 / records : -1;
    }

    /** One report line without its end: {@code server CPU: X s over N records = Y us per record}. */
    String text(String label) {
        if (!known()) {
            return label + ": unknown (no /metrics)";
        }
        return String.format(Locale.ROOT, "%s: %.2f s over %,d records = %.1f us per %s", label, seconds, records,
                microsPerRecord(), per);
    }

    /** The figures into {@code node}: {@code known}, and when known {@code seconds}, {@code records}, ... */
    void json(ObjectNode node) {
        node.put("known", known());
        if (known()) {
            node.put("seconds", BenchCommand.round(seconds, 3));
            node.put("records", records);
            node.put("microsPerRecord", BenchCommand.round(microsPerRecord(), 2));
            node.put("per", per);
        }
    }

    /** The difference between two readings, over {@code records}. */
    static ServerCpu between(OptionalDouble before, OptionalDouble after, long records, String per) {
        if (before.isEmpty() || after.isEmpty()) {
            return new ServerCpu(-1, records, per);
        }
        return new ServerCpu(Math.max(0, after.getAsDouble() - before.getAsDouble()), records, per);
    }

    /**
     * The value of {@code process_cpu_seconds_total} in a Prometheus text exposition (summed if it has several
     * label sets), or empty when it is absent.
     */
    static OptionalDouble parse(String exposition) {
        double sum = 0;
        boolean found = false;
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(METRIC)) {
                continue;
            }
            String rest = line.substring(METRIC.length());
            if (rest.startsWith("{")) {
                int close = rest.lastIndexOf('}');
                if (close < 0) {
                    continue;
                }
                rest = rest.substring(close + 1);
            }
            if (rest.isEmpty() || !Character.isWhitespace(rest.charAt(0))) {
                continue; // a longer name, e.g. process_cpu_seconds_total_created
            }
            String[] fields = rest.trim().split("\\s+"); // value, then an optional timestamp
            try {
                sum += Double.parseDouble(fields[0]);
                found = true;
            } catch (NumberFormatException e) {
                // not a sample of ours
            }
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    /** Reads the server's CPU counter from its {@code /metrics}. Thread-safe. */
    static final class Probe {

        // HTTP/1.1 as Prometheus scrapes: the JDK client's default h2c upgrade once left a /metrics body hanging.
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private final URI metrics;

        Probe(URI endpoint) {
            this.metrics = endpoint.resolve("/metrics");
        }

        /** The counter now, or empty when {@code /metrics} does not answer 200 with it. */
        OptionalDouble read() {
            try {
                // The request timeout covers the headers only; the whole answer gets a deadline of its own.
                HttpResponse<String> response = http.sendAsync(HttpRequest.newBuilder(metrics)
                                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString())
                        .get(15, TimeUnit.SECONDS);
                return response.statusCode() == 200 ? parse(response.body()) : OptionalDouble.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return OptionalDouble.empty();
            } catch (Exception e) {
                return OptionalDouble.empty();
            }
        }
    }
}
