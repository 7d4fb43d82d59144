package dev.eddy.api.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Prometheus text exposition (what {@code GET /metrics} returns) reduced to what queries can name: the series
 * names that have samples ({@code x_bucket}, {@code x_count}, {@code x_sum} of a histogram family {@code x}, a
 * counter's {@code _total}, ...) and each family's type. Immutable, thread-safe.
 */
final class MetricsExposition {

    /** Series Prometheus makes itself for every target: a query may name them though no server exposes them. */
    static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE");

    private final Set<String> seriesNames;
    private final Map<String, String> familyTypes;

    private MetricsExposition(Set<String> seriesNames, Map<String, String> familyTypes) {
        this.seriesNames = seriesNames;
        this.familyTypes = familyTypes;
    }

    static MetricsExposition parse(String text) {
        Set<String> series = new TreeSet<>();
        Map<String, String> types = new TreeMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("# TYPE ")) {
                String[] parts = l.split("\\s+");
                types.put(parts[2], parts[3]);
            } else if (!l.isEmpty() && !l.startsWith("#")) {
                int end = 0;
                while (end < l.length() && (Character.isLetterOrDigit(l.charAt(end)) || l.charAt(end) == '_'
                        || l.charAt(end) == ':')) {
                    end++;
                }
                series.add(l.substring(0, end));
            }
        }
        return new MetricsExposition(Set.copyOf(series), Map.copyOf(types));
    }

    Set<String> seriesNames() {
        return seriesNames;
    }

    /**
     * For every expression (keyed by where it comes from) each metric name it uses that has no sample in this
     * exposition, explained: e.g. a histogram named without {@code _bucket}/{@code _count}/{@code _sum}.
     */
    List<String> unexposed(Map<String, String> expressions) {
        List<String> problems = new ArrayList<>();
        expressions.forEach((where, expr) -> {
            for (String name : PromQlNames.of(expr)) {
                if (!seriesNames.contains(name) && !SYNTHETIC.contains(name)) {
                    problems.add(name + " (" + explain(name) + ") in " + where + ": " + expr);
                }
            }
        });
        return problems;
    }

    private String explain(String name) {
        String type = familyTypes.get(name);
        if ("histogram".equals(type)) {
            return "a histogram family: query " + name + "_bucket, _count or _sum";
        }
        if ("summary".equals(type)) {
            return "a summary family: query " + name + "_count, _sum or the quantile series " + name;
        }
        if (type != null) {
            return "a " + type + " family without samples";
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max", "_total", "_created")) {
            if (name.endsWith(suffix)) {
                String family = name.substring(0, name.length() - suffix.length());
                if (familyTypes.containsKey(family)) {
                    return "family " + family + " is a " + familyTypes.get(family) + " and has no " + suffix + " series";
                }
            }
        }
        return "not exposed by the server";
    }
}
