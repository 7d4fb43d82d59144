package dev.eddy.api.rest;

/**
 * The stable problem types of the REST API: each has a URI, a title and an HTTP status. Immutable.
 * The URIs are part of the contract; clients may switch on them.
 */
public enum ProblemType {
    INVALID_ARGUMENT("invalid-argument", "Invalid argument", 400),
    MALFORMED_JSON("malformed-json", "Malformed JSON", 400),
    LIMIT_EXCEEDED("limit-exceeded", "Limit exceeded", 400),
    EXPIRED_CURSOR("expired-cursor", "Expired cursor", 400),
    NOT_FOUND("not-found", "Not found", 404),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", 405),
    VERSION_CONFLICT("version-conflict", "Version conflict", 409),
    RESOURCE_IN_USE("resource-in-use", "Resource in use", 409),
    PAYLOAD_TOO_LARGE("payload-too-large", "Payload too large", 413),
    THROTTLED("throttled", "Throughput exceeded", 429),
    INTERNAL("internal", "Internal failure", 500),
    UNAVAILABLE("unavailable", "Service unavailable", 503);

    private static final String BASE = "https://eddy.dev/problems/";

    private final String slug;
    private final String title;
    private final int status;

    ProblemType(String slug, String title, int status) {
        this.slug = slug;
        this.title = title;
        this.status = status;
    }

    /** The problem's {@code type} URI, e.g. {@code https://eddy.dev/problems/version-conflict}. */
    public String uri() {
        return BASE + slug;
    }

    /** The last part of the type URI, e.g. {@code version-conflict}. */
    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public int status() {
        return status;
    }
}
