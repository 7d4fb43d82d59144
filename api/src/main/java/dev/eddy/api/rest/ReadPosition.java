package dev.eddy.api.rest;

import dev.eddy.platform.IteratorType;
import dev.eddy.platform.ShardIteratorRequest;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Where a shard read starts, from the {@code from} query parameter: {@code TRIM_HORIZON} (the oldest
 * record, the default), {@code LATEST} (after the newest), a sequence number (at that record, inclusive),
 * or a timestamp (the first record that arrived at or after it) as ISO-8601 or epoch milliseconds.
 * Sequence numbers are 20 digits or more; epoch milliseconds are fewer. Stateless.
 */
final class ReadPosition {

    private static final int MAX_EPOCH_DIGITS = 19;

    private ReadPosition() {
    }

    /** The iterator request for {@code from} ({@code null}: TRIM_HORIZON); an invalid-argument problem if bad. */
    static ShardIteratorRequest parse(String stream, String shardId, String from) {
        if (from == null || from.isEmpty()) {
            return new ShardIteratorRequest(stream, shardId, IteratorType.TRIM_HORIZON, null, null);
        }
        switch (from.toUpperCase(Locale.ROOT)) {
            case "TRIM_HORIZON" -> {
                return new ShardIteratorRequest(stream, shardId, IteratorType.TRIM_HORIZON, null, null);
            }
            case "LATEST" -> {
                return new ShardIteratorRequest(stream, shardId, IteratorType.LATEST, null, null);
            }
            default -> {
            }
        }
        if (from.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (from.length() > MAX_EPOCH_DIGITS) {
                return new ShardIteratorRequest(stream, shardId, IteratorType.AT_SEQUENCE_NUMBER, from, null);
            }
            return new ShardIteratorRequest(stream, shardId, IteratorType.AT_TIMESTAMP, null, Long.parseLong(from));
        }
        try {
            long millis = OffsetDateTime.parse(from).toInstant().toEpochMilli();
            return new ShardIteratorRequest(stream, shardId, IteratorType.AT_TIMESTAMP, null, millis);
        } catch (DateTimeParseException | ArithmeticException e) {
            // not a timestamp either
        }
        throw new Problem(ProblemType.INVALID_ARGUMENT, "Query parameter from must be TRIM_HORIZON, LATEST, a sequence "
                + "number, an ISO-8601 timestamp such as " + Instant.EPOCH + " or epoch milliseconds, got '"
                + QueryParams.abbreviate(from) + "'. To continue a read, pass the answer's next as cursor.")
                .with("parameter", "from");
    }
}
