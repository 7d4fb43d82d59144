package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;

/**
 * How event data travels in JSON: {@code data} (any JSON value, stored as its compact UTF-8 JSON text,
 * which is exactly what a Kinesis reader gets) or {@code dataBase64} (any bytes). Stateless.
 */
final class EventData {

    private EventData() {
    }

    /** The bytes to store for an event of the request ({@code path} names it in problems). */
    static byte[] fromRequest(ObjectNode event, String path) {
        boolean hasJson = event.has("data");
        boolean hasBase64 = event.has("dataBase64");
        if (hasJson == hasBase64) {
            throw new Problem(ProblemType.INVALID_ARGUMENT, path + " needs exactly one of data (any JSON value) or "
                    + "dataBase64 (base64 bytes), got " + (hasJson ? "both" : "neither") + ".");
        }
        if (hasJson) {
            return RestJson.bytes(event.get("data"));
        }
        JsonNode base64 = event.get("dataBase64");
        if (!base64.isTextual()) {
            throw new Problem(ProblemType.INVALID_ARGUMENT, path + ".dataBase64 must be a base64 string.");
        }
        try {
            return Base64.getDecoder().decode(base64.textValue());
        } catch (IllegalArgumentException e) {
            throw new Problem(ProblemType.INVALID_ARGUMENT, path + ".dataBase64 is not valid base64: " + e.getMessage());
        }
    }

    /** Writes stored bytes as {@code data} when they are one JSON value, else as {@code dataBase64}. */
    static void toResponse(byte[] bytes, ObjectNode out) {
        JsonNode json = RestJson.tryParse(bytes);
        if (json != null) {
            out.set("data", json);
        } else {
            out.put("dataBase64", Base64.getEncoder().encodeToString(bytes));
        }
    }
}
