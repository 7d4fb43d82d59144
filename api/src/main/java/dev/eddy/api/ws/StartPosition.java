package dev.eddy.api.ws;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Where a subscription starts, parsed from the {@code from} parameter. Immutable.
 *
 * <p>{@code TRIM_HORIZON}, {@code LATEST}, a sequence number (more than 19 digits; Eddy's are 56), an
 * epoch-millis timestamp (at most 19 digits) or an ISO-8601 timestamp ({@code 2026-01-31T12:00:00Z} or with
 * an offset; a {@code +} decoded to a space by the query string is accepted).
 *
 * @param kind            what kind of position
 * @param sequenceNumber  for {@link Kind#SEQUENCE_NUMBER}, else {@code null}
 * @param timestampMillis for {@link Kind#TIMESTAMP}, else {@code 0}
 */
record StartPosition(Kind kind, String sequenceNumber, long timestampMillis) {

    enum Kind { TRIM_HORIZON, LATEST, SEQUENCE_NUMBER, TIMESTAMP }

    private static final int MAX_MILLIS_DIGITS = 19;

    /** Parses {@code from}; {@code null} means LATEST. */
    static StartPosition parse(String from) {
        if (from == null || from.equals("LATEST")) {
            return new StartPosition(Kind.LATEST, null, 0);
        }
        if (from.equals("TRIM_HORIZON")) {
            return new StartPosition(Kind.TRIM_HORIZON, null, 0);
        }
        if (!from.isEmpty() && from.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (from.length() > MAX_MILLIS_DIGITS) {
                return new StartPosition(Kind.SEQUENCE_NUMBER, from, 0);
            }
            return new StartPosition(Kind.TIMESTAMP, null, Long.parseLong(from));
        }
        String iso = from.replace(' ', '+');
        try {
            return new StartPosition(Kind.TIMESTAMP, null, Instant.parse(iso).toEpochMilli());
        } catch (DateTimeParseException notInstant) {
            try {
                return new StartPosition(Kind.TIMESTAMP, null, OffsetDateTime.parse(iso).toInstant().toEpochMilli());
            } catch (DateTimeParseException e) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid from='" + from
                        + "': expected TRIM_HORIZON, LATEST, a sequence number or an ISO-8601/epoch-millis timestamp");
            }
        }
    }
}
