package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;

/**
 * The two body encodings of the Kinesis protocol. Both are read and written through one Jackson API (trees,
 * or the mapper's streaming parsers and generators for the hot actions), so one set of handlers serves both. Thread-safe (Jackson mappers are).
 */
public enum WireFormat {
    /** {@code application/x-amz-json-1.1}: blobs are base64 text, timestamps epoch seconds with a fraction. */
    JSON("application/x-amz-json-1.1", new ObjectMapper()),
    /** {@code application/x-amz-cbor-1.1}: blobs are byte strings, timestamps epoch millis (tag 1). */
    CBOR("application/x-amz-cbor-1.1", new CBORMapper());

    private final String contentType;
    private final ObjectMapper mapper;

    WireFormat(String contentType, ObjectMapper mapper) {
        this.contentType = contentType;
        this.mapper = mapper;
    }

    public String contentType() {
        return contentType;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** The format of a Content-Type header, or {@code null} if it is neither (parameters are ignored). */
    public static WireFormat ofContentType(String header) {
        if (header == null) {
            return null;
        }
        int semi = header.indexOf(';');
        String type = (semi >= 0 ? header.substring(0, semi) : header).trim().toLowerCase(java.util.Locale.ROOT);
        return switch (type) {
            case "application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json" -> JSON;
            case "application/x-amz-cbor-1.1", "application/cbor" -> CBOR;
            default -> null;
        };
    }
}
