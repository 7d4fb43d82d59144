package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The dashboards of {@code grafana/dashboards}: their PromQL and their data sources. Immutable, thread-safe. */
final class GrafanaDashboards {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code $name}, {@code ${name}}, {@code ${name:format}} and {@code [[name]]}. */
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\$([a-zA-Z_]\\w*)|\\[\\[(\\w+)]]");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*(\\w+)\\s*\\)$", Pattern.DOTALL);
    private static final Pattern QUERY_RESULT = Pattern.compile("^query_result\\((.*)\\)$", Pattern.DOTALL);

    private final Map<String, JsonNode> dashboards;

    private GrafanaDashboards(Map<String, JsonNode> dashboards) {
        this.dashboards = dashboards;
    }

    static GrafanaDashboards load(Path dir) throws IOException {
        Map<String, JsonNode> dashboards = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                dashboards.put(file.getFileName().toString(), JSON.readTree(file.toFile()));
            }
        }
        return new GrafanaDashboards(dashboards);
    }

    Map<String, JsonNode> all() {
        return dashboards;
    }

    /**
     * Every PromQL expression, keyed by where it is ({@code file panel 3 "title" target A}, {@code file variable
     * stream}), with the dashboard variables replaced by {@code values} (Grafana's {@code $__rate_interval} etc.
     * included). A variable without a value fails: a new variable needs a value to test with.
     */
    Map<String, String> expressions(Map<String, String> values) {
        Map<String, String> out = new LinkedHashMap<>();
        dashboards.forEach((file, d) -> {
            for (JsonNode panel : panels(d)) {
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asText("");
                    if (!expr.isBlank()) {
                        out.put(file + " panel " + panel.path("id").asInt() + " \"" + panel.path("title").asText()
                                + "\" target " + target.path("refId").asText(), substitute(expr, values));
                    }
                }
            }
            for (JsonNode variable : d.path("templating").path("list")) {
                if (!"query".equals(variable.path("type").asText())) {
                    continue;
                }
                JsonNode q = variable.path("query");
                String query = (q.isTextual() ? q.asText() : q.path("query").asText()).strip();
                Matcher labelValues = LABEL_VALUES.matcher(query);
                Matcher queryResult = QUERY_RESULT.matcher(query);
                String expr = labelValues.matches() ? labelValues.group(1)
                        : queryResult.matches() ? queryResult.group(1) : null;
                if (expr == null) {
                    throw new AssertionError(file + " variable " + variable.path("name").asText()
                            + ": a query this test cannot read: " + query);
                }
                out.put(file + " variable " + variable.path("name").asText(), substitute(expr, values));
            }
        });
        return out;
    }

    /**
     * Every data source reference that is not {@code expected} (panels, targets, variables, annotations other
     * than Grafana's built-in one), and every panel or target with none.
     */
    List<String> foreignDataSources(JsonNode expected) {
        List<String> problems = new ArrayList<>();
        dashboards.forEach((file, d) -> {
            for (JsonNode panel : panels(d)) {
                String where = file + " panel " + panel.path("id").asInt() + " \"" + panel.path("title").asText() + "\"";
                if ("row".equals(panel.path("type").asText())) {
                    continue;
                }
                check(problems, where, panel.path("datasource"), expected);
                if (panel.path("targets").isEmpty()) {
                    problems.add(where + ": no targets");
                }
                for (JsonNode target : panel.path("targets")) {
                    check(problems, where + " target " + target.path("refId").asText(), target.path("datasource"),
                            expected);
                }
            }
            for (JsonNode variable : d.path("templating").path("list")) {
                if ("query".equals(variable.path("type").asText())) {
                    check(problems, file + " variable " + variable.path("name").asText(), variable.path("datasource"),
                            expected);
                }
            }
            for (JsonNode annotation : d.path("annotations").path("list")) {
                if (annotation.path("builtIn").asInt() != 1) {
                    check(problems, file + " annotation " + annotation.path("name").asText(),
                            annotation.path("datasource"), expected);
                }
            }
        });
        return problems;
    }

    private static void check(List<String> problems, String where, JsonNode actual, JsonNode expected) {
        if (!expected.equals(actual)) {
            problems.add(where + ": data source " + actual + ", expected " + expected);
        }
    }

    /** The panels of a dashboard, those inside rows included. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            out.add(panel);
            panel.path("panels").forEach(out::add);
        }
        return out;
    }

    static String substitute(String expr, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            if (value == null) {
                throw new AssertionError("no test value for dashboard variable $" + name + " in: " + expr);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
