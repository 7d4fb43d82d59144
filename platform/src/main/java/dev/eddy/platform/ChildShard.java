package dev.eddy.platform;

import java.math.BigInteger;
import java.util.List;

/**
 * A child of a closed shard, as GetRecords reports it once the parent is read to its end. Immutable.
 */
public record ChildShard(String shardId, List<String> parentShards, BigInteger startingHashKey,
                         BigInteger endingHashKey) {
}
