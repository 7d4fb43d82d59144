package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A failure as the REST API reports it: an RFC 9457 problem document with a stable type, a human
 * detail and the fields that matter (stream, key, versions...). Not thread-safe while being built; treat
 * as immutable once thrown.
 */
public final class Problem extends RuntimeException {

    private final ProblemType type;
    private final ObjectNode fields = RestJson.object();

    public Problem(ProblemType type, String detail) {
        super(detail, null, false, false);
        this.type = type;
    }

    public ProblemType type() {
        return type;
    }

    /** Adds a member (a string, number, boolean or {@code null}); returns this. */
    public Problem with(String name, Object value) {
        if (value == null) {
            fields.putNull(name);
        } else if (value instanceof Long l) {
            fields.put(name, l);
        } else if (value instanceof Integer i) {
            fields.put(name, i);
        } else if (value instanceof Boolean b) {
            fields.put(name, b);
        } else if (value instanceof JsonNode n) {
            fields.set(name, n);
        } else {
            fields.put(name, value.toString());
        }
        return this;
    }

    /** Adds a member unless it is already present or the value is {@code null}; returns this. */
    public Problem withIfAbsent(String name, String value) {
        if (value != null && !fields.has(name)) {
            fields.put(name, value);
        }
        return this;
    }

    /** The {@code application/problem+json} document. */
    public ObjectNode toJson() {
        ObjectNode json = RestJson.object();
        json.put("type", type.uri());
        json.put("title", type.title());
        json.put("status", type.status());
        json.put("detail", getMessage());
        json.setAll(fields);
        return json;
    }
}
