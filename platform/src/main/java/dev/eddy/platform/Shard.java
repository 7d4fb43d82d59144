package dev.eddy.platform;

import java.math.BigInteger;

/**
 * A shard of a stream: an ordered, append-only log owning a range of the 128-bit hash-key space. Immutable.
 *
 * @param shardId                the Kinesis shard id, {@code shardId-} and 12 digits
 * @param parentShardId          the parent after a split or merge, or {@code null}
 * @param adjacentParentShardId  the other parent after a merge, or {@code null}
 * @param startingHashKey        first hash key owned, inclusive
 * @param endingHashKey          last hash key owned, inclusive
 * @param startingSequenceNumber the lowest sequence number the shard can hold
 * @param endingSequenceNumber   the highest sequence number once the shard is closed, else {@code null}
 * @param createdMillis          when the shard was opened, epoch millis
 * @param closedMillis           when the shard was closed, epoch millis, or {@code -1} while open
 */
public record Shard(String shardId, String parentShardId, String adjacentParentShardId,
                    BigInteger startingHashKey, BigInteger endingHashKey,
                    String startingSequenceNumber, String endingSequenceNumber,
                    long createdMillis, long closedMillis) {

    public boolean isOpen() {
        return endingSequenceNumber == null;
    }

    /** Whether the hash key falls within this shard's range. */
    public boolean owns(BigInteger hashKey) {
        return startingHashKey.compareTo(hashKey) <= 0 && endingHashKey.compareTo(hashKey) >= 0;
    }
}
