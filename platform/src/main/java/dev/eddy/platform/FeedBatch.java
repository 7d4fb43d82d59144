package dev.eddy.platform;

import java.util.List;

/**
 * Records of one shard handed to a {@link FeedHandler}: in sequence order, each after the last one the feed
 * delivered from that shard. Immutable.
 *
 * @param stream             the stream
 * @param shardId            the shard
 * @param records            at least one record
 * @param millisBehindLatest how far the last record is behind the shard's newest one (0 when caught up)
 */
public record FeedBatch(String stream, String shardId, List<Record> records, long millisBehindLatest) {
}
