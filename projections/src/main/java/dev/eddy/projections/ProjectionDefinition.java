package dev.eddy.projections;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.PlatformException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a projection folds: its source streams and start, an optional jq filter, how events are partitioned
 * into keys, the initial state and the jq reducer. Parsed (and its jq compiled) from the JSON a client posts.
 * Immutable.
 *
 * @param name        the projection's name, {@code [a-zA-Z0-9_.-]{1,128}}
 * @param streams     the source streams, at least one, distinct
 * @param from        where a new projection starts reading: TRIM_HORIZON or LATEST
 * @param filter      events for which this yields {@code false}, {@code null} or nothing are skipped; may be null
 * @param partitionBy how events map to state keys
 * @param partitionJq for {@link Partitioning#JQ}, the expression yielding the key, else {@code null}
 * @param init        the state of a key before its first event
 * @param reduce      {@code {"state", "event"}} to the new state
 */
public record ProjectionDefinition(String name, List<String> streams, From from, Jq filter,
                                   Partitioning partitionBy, Jq partitionJq, JsonNode init, Jq reduce) {

    /** Where a new projection starts in its streams. */
    public enum From { TRIM_HORIZON, LATEST }

    /** How events map to state keys. */
    public enum Partitioning {
        /** The event's partition key. */
        KEY,
        /** Every event folds into the one key {@code _}. */
        NONE,
        /** A jq expression over the event yields the key (a string or a number). */
        JQ
    }

    /** The state key of every event under {@link Partitioning#NONE}. */
    public static final String SINGLE_KEY = "_";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final Set<String> FIELDS = Set.of("name", "source", "filter", "partitionBy", "init", "reduce");

    /** Parses and checks a definition; INVALID_ARGUMENT (with what is wrong) otherwise. */
    public static ProjectionDefinition parse(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw bad("A projection definition must be a JSON object.");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw bad("Unknown field '" + field + "' in the projection definition; this build supports "
                        + "name, source, filter, partitionBy, init and reduce (no windows or emit yet).");
            }
        }
        String name = text(json, "name");
        if (name == null || !NAME.matcher(name).matches()) {
            throw bad("The projection name must match [a-zA-Z0-9_.-]{1,128}.");
        }
        JsonNode source = json.get("source");
        if (source == null || !source.isObject()) {
            throw bad("source must be an object with streams (an array of stream names) and an optional from.");
        }
        JsonNode streamsJson = source.get("streams");
        if (streamsJson == null || !streamsJson.isArray() || streamsJson.isEmpty()) {
            throw bad("source.streams must be a non-empty array of stream names.");
        }
        Set<String> streams = new LinkedHashSet<>();
        for (JsonNode s : streamsJson) {
            if (!s.isTextual() || !streams.add(s.asText())) {
                throw bad("source.streams must hold distinct stream names (strings).");
            }
        }
        From from = From.TRIM_HORIZON;
        JsonNode fromJson = source.get("from");
        if (fromJson != null && !fromJson.isNull()) {
            if (!fromJson.isTextual() || !(fromJson.asText().equals("TRIM_HORIZON") || fromJson.asText().equals("LATEST"))) {
                throw bad("source.from must be \"TRIM_HORIZON\" or \"LATEST\" (timestamps are not supported yet).");
            }
            from = From.valueOf(fromJson.asText());
        }
        Jq filter = null;
        JsonNode filterJson = json.get("filter");
        if (filterJson != null && !filterJson.isNull()) {
            if (!filterJson.isTextual()) {
                throw bad("filter must be a jq program (a string).");
            }
            filter = Jq.compile("filter", filterJson.asText());
        }
        Partitioning partitioning = Partitioning.KEY;
        Jq partitionJq = null;
        JsonNode by = json.get("partitionBy");
        if (by != null && !by.isNull()) {
            if (by.isTextual() && by.asText().equals("key")) {
                partitioning = Partitioning.KEY;
            } else if (by.isTextual() && by.asText().equals("none")) {
                partitioning = Partitioning.NONE;
            } else if (by.isObject() && by.size() == 1 && by.path("jq").isTextual()) {
                partitioning = Partitioning.JQ;
                partitionJq = Jq.compile("partitionBy jq", by.get("jq").asText());
            } else {
                throw bad("partitionBy must be \"key\", \"none\" or {\"jq\": <expression>}.");
            }
        }
        JsonNode init = json.has("init") ? json.get("init") : NullNode.getInstance();
        String reduceSource = text(json, "reduce");
        if (reduceSource == null) {
            throw bad("reduce must be a jq program (a string) from {\"state\", \"event\"} to the new state.");
        }
        Jq reduce = Jq.compile("reducer", reduceSource);
        return new ProjectionDefinition(name, new ArrayList<>(streams), from, filter, partitioning, partitionJq,
                init.deepCopy(), reduce);
    }

    public ProjectionDefinition {
        streams = List.copyOf(streams);
    }

    /** The definition as JSON, as a client posted it (with defaults filled in). */
    public ObjectNode toJson() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("name", name);
        ObjectNode source = out.putObject("source");
        ArrayNode s = source.putArray("streams");
        streams.forEach(s::add);
        source.put("from", from.name());
        if (filter != null) {
            out.put("filter", filter.source());
        }
        switch (partitionBy) {
            case KEY -> out.put("partitionBy", "key");
            case NONE -> out.put("partitionBy", "none");
            case JQ -> out.putObject("partitionBy").put("jq", partitionJq.source());
        }
        out.set("init", init.deepCopy());
        out.put("reduce", reduce.source());
        return out;
    }

    private static String text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static PlatformException bad(String message) {
        return PlatformException.invalidArgument(message);
    }
}
