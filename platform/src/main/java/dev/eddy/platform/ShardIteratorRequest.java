package dev.eddy.platform;

/**
 * What GetShardIterator asks for. Immutable.
 *
 * @param stream          the stream name
 * @param shardId         the shard id
 * @param type            the iterator type
 * @param sequenceNumber  for AT_/AFTER_SEQUENCE_NUMBER, else {@code null}
 * @param timestampMillis for AT_TIMESTAMP, else {@code null}
 */
public record ShardIteratorRequest(String stream, String shardId, IteratorType type, String sequenceNumber,
                                   Long timestampMillis) {

    /**
     * The stream name an issued iterator claims, without verifying it (for labelling metrics of requests that
     * may fail), or {@code null} when it cannot be decoded.
     */
    public static String streamOfIterator(String iterator) {
        return dev.eddy.platform.impl.ShardIterators.streamOf(iterator);
    }
}
