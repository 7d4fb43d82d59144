package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Typed, format-aware access to the members of a request body tree. A member of the wrong type is a
 * {@code SerializationException}; JSON {@code null} counts as absent; unknown members are ignored, as
 * Kinesis does. Not thread-safe (one per request).
 */
public final class Params {

    private final ObjectNode node;
    private final WireFormat format;

    public Params(ObjectNode node, WireFormat format) {
        this.node = node;
        this.format = format;
    }

    public WireFormat format() {
        return format;
    }

    /** Whether the member is present and not null. */
    public boolean has(String name) {
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    public String string(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            throw mismatch(value, "String");
        }
        return value.textValue();
    }

    public Integer integer(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber()) {
            throw mismatch(value, "Integer");
        }
        if (value.isIntegralNumber() && !value.canConvertToInt()) {
            // Out of int range: keep the sign so range validation reports it.
            return value.bigIntegerValue().signum() < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        }
        return (int) Math.floor(value.doubleValue());
    }

    public Boolean bool(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isBoolean()) {
            throw mismatch(value, "Boolean");
        }
        return value.booleanValue();
    }

    /** A blob: a byte string in CBOR, base64 text in JSON (either is accepted in both). */
    public byte[] blob(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (value.isBinary()) {
            return ((com.fasterxml.jackson.databind.node.BinaryNode) value).binaryValue();
        }
        if (value.isTextual()) {
            try {
                return Base64.getDecoder().decode(value.textValue());
            } catch (IllegalArgumentException e) {
                throw KinesisException.serialization("'" + abbreviate(value.textValue())
                        + "' can not be converted to a Blob: " + e.getMessage());
            }
        }
        throw mismatch(value, "a Blob");
    }

    /**
     * A timestamp in epoch millis. JSON carries epoch seconds, possibly with a fraction; CBOR (the AWS
     * SDKs) carries epoch millis, optionally under tag 1, which the parser passes through. ISO-8601 text
     * is accepted in both.
     */
    public Long timestampMillis(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (value.isNumber()) {
            if (format == WireFormat.CBOR) {
                return value.isIntegralNumber() ? value.longValue() : Math.round(value.doubleValue());
            }
            return value.decimalValue().movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValue();
        }
        if (value.isTextual()) {
            try {
                return Instant.parse(value.textValue()).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw KinesisException.serialization("'" + abbreviate(value.textValue())
                        + "' can not be converted to a Timestamp");
            }
        }
        throw mismatch(value, "a Timestamp");
    }

    /** A nested structure, or {@code null}. */
    public Params object(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isObject()) {
            throw mismatch(value, "a structure");
        }
        return new Params((ObjectNode) value, format);
    }

    /** A list, or {@code null}. */
    public ArrayNode list(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isArray()) {
            throw KinesisException.serialization("Expected list or null at '" + name + "'");
        }
        return (ArrayNode) value;
    }

    /** A map (a structure of arbitrary keys), or {@code null}. */
    public ObjectNode map(String name) {
        JsonNode value = present(name);
        if (value == null) {
            return null;
        }
        if (!value.isObject()) {
            throw KinesisException.serialization("Expected map or null at '" + name + "'");
        }
        return (ObjectNode) value;
    }

    /** The element of a list as a structure. */
    public Params element(JsonNode value, String path) {
        if (value == null || !value.isObject()) {
            throw KinesisException.serialization("Expected a structure at '" + path + "'");
        }
        return new Params((ObjectNode) value, format);
    }

    private JsonNode present(String name) {
        JsonNode value = node.get(name);
        return value == null || value.isNull() ? null : value;
    }

    private static KinesisException mismatch(JsonNode value, String expected) {
        if (value.isArray()) {
            return KinesisException.serialization("Start of list found where not expected");
        }
        if (value.isObject()) {
            return KinesisException.serialization("Start of structure or map found where not expected.");
        }
        String actual = value.isTextual() ? "java.lang.String" : value.isBoolean() ? "java.lang.Boolean"
                : value.isNumber() ? "java.math.BigDecimal" : value.isBinary() ? "java.nio.ByteBuffer"
                : value.getNodeType().toString();
        return KinesisException.serialization("class " + actual + " can not be converted to "
                + (expected.startsWith("a ") ? expected : "an " + expected));
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
