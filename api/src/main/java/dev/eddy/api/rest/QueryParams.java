package dev.eddy.api.rest;

import io.vertx.core.http.HttpServerRequest;

/**
 * Reads and checks query parameters; a bad value is an invalid-argument {@link Problem} naming the
 * parameter, the value and what was expected. Stateless.
 */
final class QueryParams {

    private QueryParams() {
    }

    /** The parameter as a long in {@code [min, max]}, or {@code fallback} when absent. */
    static long longIn(HttpServerRequest request, String name, long min, long max, long fallback) {
        String raw = request.getParam(name);
        if (raw == null || raw.isEmpty()) {
            return fallback;
        }
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw outOfRange(name, raw, min, max);
        }
        if (value < min || value > max) {
            throw outOfRange(name, raw, min, max);
        }
        return value;
    }

    /** The parameter as an int in {@code [min, max]}, or {@code fallback} when absent. */
    static int intIn(HttpServerRequest request, String name, int min, int max, int fallback) {
        return (int) longIn(request, name, min, max, fallback);
    }

    /** The parameter as a boolean ({@code true} or {@code false}), or {@code fallback} when absent. */
    static boolean bool(HttpServerRequest request, String name, boolean fallback) {
        String raw = request.getParam(name);
        if (raw == null || raw.isEmpty()) {
            return fallback;
        }
        return switch (raw) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new Problem(ProblemType.INVALID_ARGUMENT, "Query parameter " + name + " must be true or false, got '"
                    + abbreviate(raw) + "'.").with("parameter", name);
        };
    }

    private static Problem outOfRange(String name, String raw, long min, long max) {
        String range = max == Long.MAX_VALUE ? "an integer >= " + min : "an integer from " + min + " to " + max;
        return new Problem(ProblemType.INVALID_ARGUMENT, "Query parameter " + name + " must be " + range + ", got '"
                + abbreviate(raw) + "'.").with("parameter", name);
    }

    static String abbreviate(String value) {
        return value.length() <= 100 ? value : value.substring(0, 100) + "...";
    }
}
