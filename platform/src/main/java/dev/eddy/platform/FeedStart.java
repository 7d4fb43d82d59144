package dev.eddy.platform;

import java.util.Objects;

/**
 * Where a {@link Feed} starts reading. Immutable.
 *
 * <p>Over a whole stream (or several shards) a sequence number names one shard: that shard starts at (or after)
 * it and the others start at their oldest record, so a consumer can resume one shard's position without losing
 * the rest.
 *
 * @param kind            the kind of start
 * @param sequenceNumber  for {@link Kind#AT_SEQUENCE_NUMBER} and {@link Kind#AFTER_SEQUENCE_NUMBER}, else {@code null}
 * @param timestampMillis for {@link Kind#AT_TIMESTAMP} (epoch millis), else {@code -1}
 */
public record FeedStart(Kind kind, String sequenceNumber, long timestampMillis) {

    /** The kinds of start, as Kinesis's iterator types. */
    public enum Kind {
        /** The oldest record still kept. */
        TRIM_HORIZON,
        /** Only records appended after the feed opened. */
        LATEST,
        /** The record with the sequence number, and what follows it. */
        AT_SEQUENCE_NUMBER,
        /** What follows the record with the sequence number. */
        AFTER_SEQUENCE_NUMBER,
        /** The first record that arrived at or after the timestamp. */
        AT_TIMESTAMP
    }

    public FeedStart {
        Objects.requireNonNull(kind, "kind");
        boolean bySequence = kind == Kind.AT_SEQUENCE_NUMBER || kind == Kind.AFTER_SEQUENCE_NUMBER;
        if (bySequence != (sequenceNumber != null)) {
            throw new IllegalArgumentException(kind + (bySequence ? " needs" : " takes no") + " sequence number");
        }
        if ((kind == Kind.AT_TIMESTAMP) != (timestampMillis >= 0)) {
            throw new IllegalArgumentException(kind + (kind == Kind.AT_TIMESTAMP ? " needs" : " takes no")
                    + " timestamp");
        }
    }

    public static FeedStart trimHorizon() {
        return new FeedStart(Kind.TRIM_HORIZON, null, -1);
    }

    public static FeedStart latest() {
        return new FeedStart(Kind.LATEST, null, -1);
    }

    public static FeedStart atSequenceNumber(String sequenceNumber) {
        return new FeedStart(Kind.AT_SEQUENCE_NUMBER, Objects.requireNonNull(sequenceNumber), -1);
    }

    public static FeedStart afterSequenceNumber(String sequenceNumber) {
        return new FeedStart(Kind.AFTER_SEQUENCE_NUMBER, Objects.requireNonNull(sequenceNumber), -1);
    }

    public static FeedStart atTimestamp(long timestampMillis) {
        if (timestampMillis < 0) {
            throw new IllegalArgumentException("timestamp " + timestampMillis + " before the epoch");
        }
        return new FeedStart(Kind.AT_TIMESTAMP, null, timestampMillis);
    }
}
