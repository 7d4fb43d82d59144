package dev.eddy.api.rest;

import dev.eddy.platform.ExpectedVersion;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.VersionConflictException;

/**
 * The one place that maps failures to REST problems (type and HTTP status). Stateless.
 */
final class Problems {

    private Problems() {
    }

    /** The problem for any failure; unexpected ones become {@code internal} (500). */
    static Problem of(Throwable failure) {
        if (failure instanceof Problem p) {
            return p;
        }
        if (failure instanceof VersionConflictException v) {
            return new Problem(ProblemType.VERSION_CONFLICT, v.getMessage() + " Re-read the history and retry.")
                    .with("stream", v.stream())
                    .with("key", v.key())
                    .with("expectedVersion", versionJson(v.expected()))
                    .with("currentVersion", v.currentVersion());
        }
        if (failure instanceof PlatformException p) {
            ProblemType type = switch (p.code()) {
                case INVALID_ARGUMENT -> ProblemType.INVALID_ARGUMENT;
                case RESOURCE_NOT_FOUND -> ProblemType.NOT_FOUND;
                case RESOURCE_IN_USE -> ProblemType.RESOURCE_IN_USE;
                case LIMIT_EXCEEDED -> ProblemType.LIMIT_EXCEEDED;
                case EXPIRED_ITERATOR -> ProblemType.EXPIRED_CURSOR;
                case PROVISIONED_THROUGHPUT_EXCEEDED -> ProblemType.THROTTLED;
                case SERVICE_UNAVAILABLE -> ProblemType.UNAVAILABLE;
                case INTERNAL_FAILURE -> ProblemType.INTERNAL;
            };
            return new Problem(type, p.getMessage());
        }
        if (failure != null && failure.getCause() != null && failure.getCause() != failure
                && failure.getCause() instanceof PlatformException) {
            return of(failure.getCause());
        }
        return new Problem(ProblemType.INTERNAL, "Internal failure"
                + (failure == null || failure.getMessage() == null ? "." : ": " + failure.getMessage()));
    }

    /** An expected version as the API writes it: a number, {@code "none"} or {@code "any"}. */
    static Object versionJson(ExpectedVersion expected) {
        String text = expected.toString();
        return expected.isAny() || expected.isNone() ? text : Long.valueOf(text);
    }
}
