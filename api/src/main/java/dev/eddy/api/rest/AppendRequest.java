package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.ExpectedVersion;
import dev.eddy.platform.PutEntry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checked append body: the expected version and the events, keyed by the aggregate. Immutable.
 *
 * <p>Unknown members are rejected rather than ignored: a misspelt {@code expectedVersion} would otherwise
 * silently turn a conditional append into an unconditional one.
 *
 * @param expected the condition on the aggregate's current version
 * @param events   the events, each with the aggregate's key as partition key
 */
record AppendRequest(ExpectedVersion expected, List<PutEntry> events) {

    /** Most events in one append (as many as one Kinesis PutRecords call). */
    static final int MAX_EVENTS = 500;
    /** Largest record, partition key plus data (Kinesis's 1 MiB). */
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    private static final Set<String> BODY_MEMBERS = Set.of("expectedVersion", "events");
    private static final Set<String> EVENT_MEMBERS = Set.of("id", "type", "metadata", "data", "dataBase64");

    /** Checks and converts a parsed body; an invalid-argument or payload-too-large {@link Problem} if bad. */
    static AppendRequest parse(JsonNode body, String key) {
        if (!body.isObject()) {
            throw invalid("The body must be a JSON object {\"expectedVersion\": ..., \"events\": [...]}.");
        }
        unknownMembers(body, BODY_MEMBERS, "The body");
        ExpectedVersion expected = expectedVersion(body.get("expectedVersion"));
        JsonNode events = body.get("events");
        if (events == null || !events.isArray() || events.isEmpty()) {
            throw invalid("The body needs \"events\": a non-empty array of events.");
        }
        if (events.size() > MAX_EVENTS) {
            throw invalid("An append takes at most " + MAX_EVENTS + " events, got " + events.size() + ".");
        }
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        Map<String, Integer> ids = new HashMap<>();
        List<PutEntry> entries = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            String path = "events[" + i + "]";
            JsonNode node = events.get(i);
            if (!node.isObject()) {
                throw invalid(path + " must be a JSON object.");
            }
            ObjectNode event = (ObjectNode) node;
            unknownMembers(event, EVENT_MEMBERS, path);
            String id = optionalText(event, "id", path);
            if (id != null) {
                Integer earlier = ids.putIfAbsent(id, i);
                if (earlier != null) {
                    throw invalid(path + ".id '" + id + "' repeats events[" + earlier + "].id; event ids must be unique.");
                }
            }
            String type = optionalText(event, "type", path);
            Map<String, String> metadata = metadata(event.get("metadata"), path);
            byte[] data = EventData.fromRequest(event, path);
            if ((long) data.length + keyBytes > MAX_RECORD_BYTES) {
                throw new Problem(ProblemType.PAYLOAD_TOO_LARGE, path + " is " + data.length + " bytes of data plus "
                        + keyBytes + " bytes of key, over the record limit of " + MAX_RECORD_BYTES + " bytes (1 MiB).")
                        .with("event", i).with("limitBytes", MAX_RECORD_BYTES);
            }
            entries.add(new PutEntry(key, null, data, id, type, metadata));
        }
        return new AppendRequest(expected, List.copyOf(entries));
    }

    /** {@code null} or absent: any; {@code "any"}; {@code "none"}; or a version {@code >= 0}. */
    static ExpectedVersion expectedVersion(JsonNode node) {
        if (node == null || node.isNull()) {
            return ExpectedVersion.any();
        }
        if (node.isTextual() && node.textValue().equals("any")) {
            return ExpectedVersion.any();
        }
        if (node.isTextual() && node.textValue().equals("none")) {
            return ExpectedVersion.none();
        }
        if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0) {
            return ExpectedVersion.exactly(node.longValue());
        }
        throw invalid("expectedVersion must be a version >= 0 (the version of the aggregate's last event), "
                + "\"none\" (no events yet) or \"any\", got " + QueryParams.abbreviate(node.toString()) + ".")
                .with("expectedVersion", node);
    }

    private static String optionalText(ObjectNode event, String name, String path) {
        JsonNode node = event.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.textValue().isEmpty()) {
            throw invalid(path + "." + name + " must be a non-empty string.");
        }
        return node.textValue();
    }

    private static Map<String, String> metadata(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw invalid(path + ".metadata must be an object of string values.");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw invalid(path + ".metadata." + e.getKey() + " must be a string.");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static void unknownMembers(JsonNode object, Set<String> known, String what) {
        for (Map.Entry<String, JsonNode> member : object.properties()) {
            String name = member.getKey();
            if (!known.contains(name)) {
                throw invalid(what + " has an unknown member \"" + QueryParams.abbreviate(name) + "\"; expected "
                        + String.join(", ", known.stream().sorted().toList()) + ".");
            }
        }
    }

    private static Problem invalid(String detail) {
        return new Problem(ProblemType.INVALID_ARGUMENT, detail);
    }
}
