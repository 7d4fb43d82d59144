package dev.eddy.platform;

/**
 * ListShards's ShardFilter. Immutable.
 *
 * @param type            the filter type
 * @param shardId         for {@link Type#AFTER_SHARD_ID}
 * @param timestampMillis for {@link Type#AT_TIMESTAMP} and {@link Type#FROM_TIMESTAMP}
 */
public record ShardFilter(Type type, String shardId, Long timestampMillis) {

    /** The filter types of the Kinesis API. */
    public enum Type {
        AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP
    }
}
