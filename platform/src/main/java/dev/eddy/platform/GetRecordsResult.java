package dev.eddy.platform;

import java.util.List;

/**
 * One GetRecords answer. Immutable.
 *
 * @param records            the records, in sequence order
 * @param nextShardIterator  where to continue, or {@code null} once a closed shard is read to its end
 * @param millisBehindLatest how far the iterator's position is behind the shard's newest record
 * @param childShards        the children of a closed shard read to its end, else empty
 * @param stream             the stream read
 * @param shardId            the shard read
 * @param caughtUp           whether the read reached the shard's newest record (a reader waiting for new
 *                           records need not read again until something is appended)
 */
public record GetRecordsResult(List<Record> records, String nextShardIterator, long millisBehindLatest,
                               List<ChildShard> childShards, String stream, String shardId, boolean caughtUp) {
}
