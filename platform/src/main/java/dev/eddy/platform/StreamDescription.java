package dev.eddy.platform;

import java.util.List;

/**
 * A stream as DescribeStream shows it. Immutable.
 *
 * @param name                 the stream name
 * @param arn                  {@code arn:aws:kinesis:<region>:<account>:stream/<name>}
 * @param status               the lifecycle state
 * @param mode                 the capacity mode
 * @param retentionHours       how long records are kept
 * @param createdMillis        creation time, epoch millis
 * @param shards               every shard, open and closed, in shard-id order
 * @param consumerCount        registered enhanced fan-out consumers
 */
public record StreamDescription(String name, String arn, StreamStatus status, StreamMode mode, int retentionHours,
                                long createdMillis, List<Shard> shards, int consumerCount) {

    public long openShardCount() {
        return shards.stream().filter(Shard::isOpen).count();
    }
}
