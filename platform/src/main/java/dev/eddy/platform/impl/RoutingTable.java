package dev.eddy.platform.impl;

import dev.eddy.platform.Shard;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Maps a hash key to the open shard whose range holds it (binary search over range starts). Immutable,
 * thread-safe; rebuilt whenever the set of open shards changes.
 */
public final class RoutingTable {

    private final BigInteger[] starts;
    private final BigInteger[] ends;
    private final int[] shardIndexes;

    public RoutingTable(List<Shard> shards) {
        List<Shard> open = new ArrayList<>();
        for (Shard shard : shards) {
            if (shard.isOpen()) {
                open.add(shard);
            }
        }
        open.sort(Comparator.comparing(Shard::startingHashKey));
        starts = new BigInteger[open.size()];
        ends = new BigInteger[open.size()];
        shardIndexes = new int[open.size()];
        for (int i = 0; i < open.size(); i++) {
            starts[i] = open.get(i).startingHashKey();
            ends[i] = open.get(i).endingHashKey();
            shardIndexes[i] = ShardIds.index(open.get(i).shardId());
        }
    }

    /** The index of the open shard owning the hash key, or -1 when no open shard does. */
    public int route(BigInteger hashKey) {
        int i = Arrays.binarySearch(starts, hashKey);
        if (i < 0) {
            i = -i - 2;
        }
        if (i < 0 || ends[i].compareTo(hashKey) < 0) {
            return -1;
        }
        return shardIndexes[i];
    }
}
