package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 6: the files in {@code grafana/} work against the real server. One Eddy server (the fat jar, MapDB, shard-level
 * metrics on) runs a workload with the AWS SDK, REST and a WebSocket subscription; then its {@code /metrics} passes
 * {@code promtool}'s lint, the rules and every dashboard query pass {@code promtool check rules}, every metric they
 * name is exposed, a real Prometheus scrapes the server, loads the rules and answers the expected totals and every
 * dashboard query, and the dashboards type-check against {@code @grafana/schema}.
 */
class MonitoringFilesIT {

    private static final String STREAM = "metrics-it";
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);

    private static Path repo;
    private static Path grafana;
    private static Path work;
    private static EddyProcess eddy;
    private static WsSubscriber subscriber;
    private static String metricsText;
    private static MetricsExposition exposition;
    /** What the workload did, for the totals Prometheus must report. */
    private static int recordsPut;
    private static long bytesPut;
    private static int recordsRead;

    @BeforeAll
    static void startEddyAndRunAWorkload() throws Exception {
        repo = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(repo.resolve("grafana/prometheus.yml"))) {
            repo = repo.getParent();
            if (repo == null) {
                throw new IllegalStateException("no grafana/prometheus.yml above " + Path.of("").toAbsolutePath());
            }
        }
        grafana = repo.resolve("grafana");
        work = Files.createTempDirectory("eddy-monitoring-it-");
        eddy = EddyProcess.start(List.of("--storage", "mapdb", "--data-dir", work.resolve("data").toString(),
                "--shard-level-metrics", "*"), work.resolve("data"));
        runWorkload();
        // jvm_gc_pause_seconds exists only once a collection has happened: ask the server JVM for one.
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Result gc = run(List.of(jcmd.toString(), Long.toString(eddy.process().pid()), "GC.run"), work, null);
        assertEquals(0, gc.exit(), gc.output());

        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(eddy.endpoint().resolve("/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                metrics.headers().toString());
        metricsText = metrics.body();
        exposition = MetricsExposition.parse(metricsText);
    }

    private static void runWorkload() throws Exception {
        try (KinesisClient kinesis = SdkClients.syncCbor(eddy.endpoint())) {
            kinesis.createStream(b -> b.streamName(STREAM).shardCount(2));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName(STREAM));
            for (int i = 0; i < 3; i++) {
                String data = "put-record-" + i;
                kinesis.putRecord(b -> b.streamName(STREAM).partitionKey("key-" + data).data(SdkBytes.fromUtf8String(data)));
                recordsPut++;
                bytesPut += data.length();
            }
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                String data = "put-records-entry-" + i;
                entries.add(PutRecordsRequestEntry.builder().partitionKey("batch-" + i)
                        .data(SdkBytes.fromUtf8String(data)).build());
                bytesPut += data.length();
            }
            assertEquals(0, kinesis.putRecords(b -> b.streamName(STREAM).records(entries)).failedRecordCount());
            recordsPut += entries.size();

            // A REST append of two events; each event's data is stored as its compact JSON text.
            RestClient rest = new RestClient(eddy.endpoint());
            RestClient.Reply appended = rest.post(RestClient.events(STREAM, "order-1"), "{\"events\": ["
                    + "{\"id\": \"evt-1\", \"type\": \"OrderPlaced\", \"data\": {\"qty\": 2}},"
                    + "{\"id\": \"evt-2\", \"type\": \"OrderPaid\", \"data\": {\"qty\": 3}}]}");
            assertEquals(201, appended.status(), String.valueOf(appended.body()));
            recordsPut += 2;
            bytesPut += 2 * "{\"qty\":2}".length();

            // A WebSocket subscriber that reads everything and stays open (eddy_subscriptions_open).
            subscriber = WsSubscriber.jdk(eddy.endpoint().getPort(),
                    "/v1/streams/" + STREAM + "/subscribe?from=TRIM_HORIZON", false);
            subscriber.awaitEvents(recordsPut, Duration.ofSeconds(30));

            for (Shard shard : kinesis.listShards(b -> b.streamName(STREAM)).shards()) {
                String iterator = kinesis.getShardIterator(b -> b.streamName(STREAM).shardId(shard.shardId())
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
                recordsRead += kinesis.getRecords(b -> b.shardIterator(iterator)).records().size();
            }
            assertEquals(recordsPut, recordsRead);

            // Errors: a shard that does not exist, a stream that does not exist.
            assertThrows(ResourceNotFoundException.class, () -> kinesis.getShardIterator(b -> b.streamName(STREAM)
                    .shardId("shardId-000000000099").shardIteratorType(ShardIteratorType.TRIM_HORIZON)));
            assertThrows(ResourceNotFoundException.class, () -> kinesis.putRecord(b -> b.streamName("no-such-stream")
                    .partitionKey("k").data(SdkBytes.fromUtf8String("lost"))));
        }
    }

    @AfterAll
    static void stopEddy() throws Exception {
        if (subscriber != null) {
            subscriber.close();
        }
        if (eddy != null) {
            eddy.stop();
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** a. The exposition passes promtool's lint (naming, units, _total, help) with no finding at all. */
    @Test
    void metricsPassPromtoolLint() throws Exception {
        assertTrue(metricsText.contains("eddy_incoming_records_total{"), metricsText);
        Result lint = run(List.of(PrometheusServer.binary("promtool").toString(), "check", "metrics"), work, metricsText);
        assertEquals(0, lint.exit(), lint.output());
        assertEquals("", lint.output().strip(), "promtool check metrics findings");
    }

    /** b. The rules file and the shipped prometheus.yml (which loads it) pass promtool; every alert is complete. */
    @Test
    void rulesAndPrometheusConfigPassPromtool() throws Exception {
        Result rules = run(List.of(PrometheusServer.binary("promtool").toString(), "check", "rules",
                grafana.resolve("eddy-rules.yml").toString()), work, null);
        assertEquals(0, rules.exit(), rules.output());
        assertTrue(rules.output().contains("SUCCESS: " + alertRules().size() + " rules found"), rules.output());
        Result config = run(List.of(PrometheusServer.binary("promtool").toString(), "check", "config",
                grafana.resolve("prometheus.yml").toString()), work, null);
        assertEquals(0, config.exit(), config.output());
        assertTrue(config.output().contains("SUCCESS: 1 rule files found"), config.output());

        for (Map<String, Object> rule : alertRules()) {
            String name = String.valueOf(rule.get("alert"));
            assertTrue(rule.get("for") != null, name + " has no for:");
            Object severity = ((Map<?, ?>) rule.getOrDefault("labels", Map.of())).get("severity");
            assertTrue(Set.of("critical", "warning").contains(severity), name + " severity " + severity);
            Map<?, ?> annotations = (Map<?, ?>) rule.getOrDefault("annotations", Map.of());
            assertTrue(annotations.containsKey("summary") && annotations.containsKey("description"),
                    name + " annotations " + annotations.keySet());
        }
    }

    /** c. Every dashboard query, Grafana variables replaced, parses as PromQL (as recording rules for promtool). */
    @Test
    void dashboardQueriesPassPromtool() throws Exception {
        Map<String, String> expressions = GrafanaDashboards.load(grafana.resolve("dashboards")).expressions(testValues());
        assertTrue(expressions.size() > 50, "dashboard queries found: " + expressions.size());
        List<Map<String, Object>> records = new ArrayList<>();
        Map<String, String> whereByRecord = new LinkedHashMap<>();
        expressions.forEach((where, expr) -> {
            String record = "dashboard:" + where.replaceAll("[^a-zA-Z0-9]+", "_");
            whereByRecord.put(record, where);
            records.add(Map.of("record", record, "expr", expr));
        });
        Path file = work.resolve("dashboard-queries.rules.yml");
        Files.writeString(file, new Yaml().dump(Map.of("groups", List.of(Map.of("name", "dashboards", "rules", records)))));
        Result check = run(List.of(PrometheusServer.binary("promtool").toString(), "check", "rules", file.toString()),
                work, null);
        assertEquals(0, check.exit(), check.output());
        assertTrue(check.output().contains("SUCCESS: " + records.size() + " rules found"), check.output());
    }

    /** d. Every metric any dashboard query or alerting rule names has samples in /metrics after the workload. */
    @Test
    void everyMetricNamedByDashboardsAndRulesIsExposed() throws Exception {
        Map<String, String> expressions = new LinkedHashMap<>(
                GrafanaDashboards.load(grafana.resolve("dashboards")).expressions(testValues()));
        for (Map<String, Object> rule : alertRules()) {
            expressions.put("eddy-rules.yml " + rule.get("alert"), String.valueOf(rule.get("expr")));
        }
        assertEquals(List.of(), exposition.unexposed(expressions));
        Set<String> named = new java.util.TreeSet<>();
        expressions.values().forEach(e -> named.addAll(PromQlNames.of(e)));
        assertTrue(named.containsAll(Set.of("eddy_incoming_records_total", "eddy_request_duration_seconds_bucket",
                "eddy_storage_commit_appends_max", "jvm_gc_pause_seconds_count", "vertx_http_server_requests_total")),
                "names found: " + named);
    }

    /** d, the check itself: a renamed or mistyped metric is reported, and names are parsed out of full PromQL. */
    @Test
    void aMetricTheServerDoesNotExposeIsReported() {
        String tricky = "sum by (stream, le) (rate(eddy_incoming_records_total{stream=~\"a|b\", x!=\"sum(y)\"}[5m] "
                + "offset 1h)) / on (stream) group_left (shard) max without (instance) (eddy_streams @ start()) "
                + "> bool 1e3 and ignoring(le) histogram_quantile(0.99, rate(eddy_request_duration_seconds_bucket[$__r:1m])) "
                + "or label_replace(eddy_write_throttled_total, \"dst\", \"$1\", \"src\", \"(.*)\") "
                + "unless {__name__=\"eddy_streams\"} # eddy_not_a_name in a comment\n * -Inf + NaN - 0x1f";
        assertEquals(Set.of("eddy_incoming_records_total", "eddy_streams", "eddy_request_duration_seconds_bucket",
                "eddy_write_throttled_total"), PromQlNames.of(tricky));

        Map<String, String> expressions = new LinkedHashMap<>();
        expressions.put("renamed", "sum(rate(eddy_incoming_recordz_total[5m]))");
        expressions.put("histogram without suffix", "sum(rate(eddy_request_duration_seconds[5m]))");
        expressions.put("summary has no buckets", "eddy_storage_commit_appends_bucket");
        expressions.put("fine", "sum by (stream) (rate(eddy_incoming_records_total[5m])) and up");
        List<String> problems = exposition.unexposed(expressions);
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("eddy_incoming_recordz_total (not exposed by the server) in renamed"),
                problems.toString());
        assertTrue(problems.get(1).startsWith("eddy_request_duration_seconds (a histogram family"), problems.toString());
        assertTrue(problems.get(2).startsWith("eddy_storage_commit_appends_bucket (family eddy_storage_commit_appends is a "
                + "summary"), problems.toString());
    }

    /**
     * e. A real Prometheus, configured from grafana/prometheus.yml (scraping this server every second) with
     * grafana/eddy-rules.yml, reports what the workload did, evaluates every rule with health ok, and answers every
     * dashboard query with data.
     */
    @Test
    void realPrometheusScrapesTheServerLoadsTheRulesAndAnswersTheDashboards() throws Exception {
        Path dir = Files.createDirectories(work.resolve("prometheus"));
        String config = Files.readString(grafana.resolve("prometheus.yml"));
        for (String[] change : List.of(new String[]{"localhost:4567", "127.0.0.1:" + eddy.endpoint().getPort()},
                new String[]{"scrape_interval: 15s", "scrape_interval: 1s"},
                new String[]{"evaluation_interval: 15s", "evaluation_interval: 1s"})) {
            assertEquals(1, config.split(java.util.regex.Pattern.quote(change[0]), -1).length - 1,
                    "grafana/prometheus.yml should hold " + change[0] + " once");
            config = config.replace(change[0], change[1]);
        }
        Files.writeString(dir.resolve("prometheus.yml"), config);
        Files.copy(grafana.resolve("eddy-rules.yml"), dir.resolve("eddy-rules.yml"));

        try (PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus.yml"), dir)) {
            String s = "stream=\"" + STREAM + "\"";
            awaitValue(prometheus, "sum(eddy_incoming_records_total{" + s + "})", v -> v == recordsPut);
            assertEquals(1.0, prometheus.scalar("up{job=\"eddy\"}"), prometheus.log());
            assertEquals(bytesPut, prometheus.scalar("sum(eddy_incoming_bytes_total{" + s + "})"));
            assertEquals(recordsRead, prometheus.scalar("sum(eddy_outgoing_records_total{" + s + ", via=\"get_records\"})"));
            assertEquals(recordsPut, prometheus.scalar("sum(eddy_outgoing_records_total{" + s + ", via=\"websocket\"})"));
            assertEquals(3.0, prometheus.scalar("sum(eddy_requests_total{api=\"kinesis\", operation=\"PutRecord\", "
                    + s + ", outcome=\"success\"})"));
            assertEquals(1.0, prometheus.scalar("sum(eddy_requests_total{api=\"kinesis\", operation=\"PutRecords\", "
                    + s + ", outcome=\"success\"})"));
            assertEquals(2.0, prometheus.scalar("sum(eddy_requests_total{api=\"kinesis\", "
                    + "outcome=\"ResourceNotFoundException\"})"));
            assertEquals(3.0, prometheus.scalar("sum(eddy_request_duration_seconds_count{api=\"kinesis\", "
                    + "operation=\"PutRecord\", " + s + "})"));
            assertEquals(recordsPut, prometheus.scalar("sum(eddy_shard_incoming_records_total{" + s + "})"));
            assertEquals(recordsPut, prometheus.scalar("sum(eddy_stream_stored_records{" + s + "})"));
            assertEquals(1.0, prometheus.scalar("sum(eddy_subscriptions_open{" + s + "})"));
            assertEquals(1.0, prometheus.scalar("eddy_streams"));

            // Every rule evaluated, none failing (a bad expression or template shows as health "err").
            int expectedRules = alertRules().size();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<JsonNode> rules = prometheus.rules();
            while (!(rules.size() == expectedRules && rules.stream().allMatch(r -> "ok".equals(r.path("health").asText())))
                    && System.nanoTime() < deadline) {
                Thread.sleep(500);
                rules = prometheus.rules();
            }
            assertEquals(expectedRules, rules.size(), rules.toString());
            for (JsonNode rule : rules) {
                assertEquals("ok", rule.path("health").asText(), rule.toString());
            }
            // The workload ended before Prometheus started, so every rate is 0, every reader is caught up and no
            // alert may fire or be pending: one that does has a wrong expression.
            assertEquals(List.of(), rules.stream().filter(r -> !"inactive".equals(r.path("state").asText()))
                    .map(r -> r.path("name").asText() + " " + r.path("state").asText()).toList());

            // Rates need two samples in their window: a few scrapes after the first one, every query has data.
            awaitValue(prometheus, "count_over_time(up{job=\"eddy\"}[1m])", v -> v >= 4);
            Map<String, String> expressions = GrafanaDashboards.load(grafana.resolve("dashboards")).expressions(testValues());
            Map<String, String> empty = new TreeMap<>();
            expressions.forEach((where, expr) -> {
                if (prometheus.query(expr).path("result").isEmpty()) {
                    empty.put(where, expr);
                }
            });
            assertEquals(Map.of(), empty, "dashboard queries without data after the workload");
        }
    }

    /**
     * f. Every dashboard type-checks against Grafana's dashboard schema (@grafana/schema, its panel options
     * included), a broken one does not, and every panel, query and variable uses the provisioned data source.
     */
    @Test
    void dashboardsMatchGrafanasSchemaAndUseTheProvisionedDataSource() throws Exception {
        Path project = grafana.resolve("schema-check");
        Result ci = run(List.of("npm", "ci", "--no-audit", "--no-fund"), project, null);
        assertEquals(0, ci.exit(), ci.output());
        List<String> tsc = List.of("npx", "--no", "--", "tsc", "--noEmit", "-p", "tsconfig.json");

        // The check can fail: a wrong enum value and a misspelt option of a copy of a dashboard are errors.
        Path broken = Files.createDirectories(work.resolve("broken-dashboards"));
        ObjectNode dashboard = (ObjectNode) RestClient.JSON.readTree(grafana.resolve("dashboards/overview.json").toFile());
        List<JsonNode> timeseries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if ("timeseries".equals(panel.path("type").asText())) {
                timeseries.add(panel);
            }
        }
        assertTrue(timeseries.size() >= 2, "overview.json has fewer than two timeseries panels");
        // In two panels: tsc reports one error per literal.
        ((ObjectNode) timeseries.get(0).path("options").path("legend")).put("placement", "middle");
        ((ObjectNode) timeseries.get(1).path("options")).put("legnd", "typo");
        RestClient.JSON.writeValue(broken.resolve("broken.json").toFile(), dashboard);
        try {
            Result generated = run(List.of("node", "generate.mjs", broken.toString()), project, null);
            assertEquals(0, generated.exit(), generated.output());
            Result refused = run(tsc, project, null);
            assertNotEquals(0, refused.exit(), refused.output());
            assertTrue(refused.output().contains("generated/broken.ts") && refused.output().contains("\"middle\"")
                    && refused.output().contains("legnd"), refused.output());
        } finally {
            Result generated = run(List.of("node", "generate.mjs"), project, null);
            assertEquals(0, generated.exit(), generated.output());
        }
        Result checked = run(tsc, project, null);
        assertEquals(0, checked.exit(), checked.output());
        try (Stream<Path> files = Files.list(project.resolve("generated"))) {
            assertEquals(GrafanaDashboards.load(grafana.resolve("dashboards")).all().size(), files.count());
        }

        Map<String, Object> provisioned = new Yaml().load(Files.readString(grafana.resolve("provisioning/datasources/eddy.yml")));
        Map<?, ?> source = (Map<?, ?>) ((List<?>) provisioned.get("datasources")).get(0);
        assertEquals("prometheus", source.get("type"));
        ObjectNode expected = RestClient.JSON.createObjectNode().put("type", "prometheus")
                .put("uid", String.valueOf(source.get("uid")));
        GrafanaDashboards dashboards = GrafanaDashboards.load(grafana.resolve("dashboards"));
        assertEquals(Set.of("overview.json", "streams.json", "consumers.json", "storage.json", "jvm-http.json"),
                dashboards.all().keySet());
        assertEquals(List.of(), dashboards.foreignDataSources(expected));
        assertEquals(dashboards.all().size(), dashboards.all().values().stream().map(d -> d.path("uid").asText())
                .distinct().count(), "dashboard uids must differ");
    }

    /** Values for Grafana's variables in dashboard queries, as Grafana would substitute them. */
    private static Map<String, String> testValues() {
        return Map.of("stream", STREAM, "group", ".*", "__rate_interval", "1m", "__interval", "15s",
                "__range", "1h");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(grafana.resolve("eddy-rules.yml")));
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        assertFalse(rules.isEmpty());
        return rules;
    }

    private static void awaitValue(PrometheusServer prometheus, String promql, DoublePredicate expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        double value = prometheus.scalar(promql);
        while (!expected.test(value)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(promql + " = " + value + " after 60 s; " + prometheus.log());
            }
            Thread.sleep(250);
            value = prometheus.scalar(promql);
        }
    }

    /** The exit code and the merged stdout and stderr of a command. */
    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Path dir, String stdin) throws IOException, InterruptedException {
        Path output = Files.createTempFile(work, "command-", ".out");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try (var in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + COMMAND_TIMEOUT + ": "
                    + Files.readString(output));
        }
        return new Result(process.exitValue(), Files.readString(output));
    }
}
