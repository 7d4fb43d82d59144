package dev.eddy.bench;

import java.util.BitSet;
import java.util.List;

/**
 * The verdict over all shards: lost, duplicated, corrupted, reordered per key, non-increasing sequence
 * numbers per shard, and keys found on more than one shard. Immutable.
 */
record Verification(long expected, long distinct, long lost, long duplicated, long corrupted, long reordered,
                    long nonIncreasing, long misroutedKeys) {

    boolean ok() {
        return lost == 0 && duplicated == 0 && corrupted == 0 && reordered == 0 && nonIncreasing == 0
                && misroutedKeys == 0;
    }

    static Verification of(long expected, List<ShardCheck> shards) {
        BitSet all = new BitSet();
        BitSet keys = new BitSet();
        long duplicated = 0;
        long corrupted = 0;
        long reordered = 0;
        long nonIncreasing = 0;
        long misrouted = 0;
        for (ShardCheck shard : shards) {
            BitSet overlap = (BitSet) shard.seen.clone();
            overlap.and(all);
            duplicated += shard.duplicated + overlap.cardinality();
            all.or(shard.seen);
            BitSet keyOverlap = (BitSet) shard.keysSeen.clone();
            keyOverlap.and(keys);
            misrouted += keyOverlap.cardinality();
            keys.or(shard.keysSeen);
            corrupted += shard.corrupted;
            reordered += shard.reordered;
            nonIncreasing += shard.nonIncreasing;
        }
        long distinct = all.cardinality();
        return new Verification(expected, distinct, expected - distinct, duplicated, corrupted, reordered,
                nonIncreasing, misrouted);
    }
}
