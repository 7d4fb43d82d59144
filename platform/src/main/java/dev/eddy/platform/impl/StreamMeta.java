package dev.eddy.platform.impl;

import dev.eddy.platform.Shard;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.StreamStatus;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stream's persistent metadata, stored as JSON in the store's {@code streams} namespace. Immutable.
 *
 * @param name           the stream name
 * @param uid            this incarnation of the name (a re-created stream gets a new one, so old iterators
 *                       and logs never leak into it); logs are named {@code uid/shardIndex}
 * @param status         the lifecycle state
 * @param mode           the capacity mode
 * @param retentionHours retention period
 * @param createdMillis  creation time
 * @param shards         all shards in index order
 * @param tags           the stream's tags
 * @param nextShardIndex the index the next new shard gets
 * @param expiredBeforeMillis records that arrived before this stay unreadable even after the retention period
 *                       grows (Kinesis never brings expired records back); 0 if it never grew
 */
public record StreamMeta(String name, String uid, StreamStatus status, StreamMode mode, int retentionHours,
                         long createdMillis, List<Shard> shards, Map<String, String> tags, int nextShardIndex,
                         long expiredBeforeMillis) {

    public StreamMeta {
        shards = List.copyOf(shards);
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    public StreamMeta withStatus(StreamStatus newStatus) {
        return new StreamMeta(name, uid, newStatus, mode, retentionHours, createdMillis, shards, tags, nextShardIndex,
                expiredBeforeMillis);
    }

    /** With a new shard layout (after a reshard), the next index after the last new shard, and a status. */
    public StreamMeta withShards(List<Shard> newShards, int newNextShardIndex, StreamStatus newStatus) {
        return new StreamMeta(name, uid, newStatus, mode, retentionHours, createdMillis, newShards, tags,
                newNextShardIndex, expiredBeforeMillis);
    }

    /** With another retention period; records expired under the old one at {@code nowMillis} stay expired. */
    public StreamMeta withRetention(int hours, long nowMillis) {
        long expired = Math.max(expiredBeforeMillis, nowMillis - retentionHours * 3_600_000L);
        return new StreamMeta(name, uid, status, mode, hours, createdMillis, shards, tags, nextShardIndex, expired);
    }

    /** Records that arrived before this, at {@code nowMillis}, are past retention: unreadable, and trimmed. */
    public long retainedFromMillis(long nowMillis) {
        return Math.max(expiredBeforeMillis, nowMillis - retentionHours * 3_600_000L);
    }

    public String logName(int shardIndex) {
        return uid + "/" + shardIndex;
    }

    /** The shard index of one of this stream's logs ({@link #logName}). */
    public int shardIndexOfLog(String log) {
        return Integer.parseInt(log.substring(log.lastIndexOf('/') + 1));
    }

    /**
     * Every shard the shard descends from through splits and merges, at any depth, nearest first; empty for a
     * shard the stream was created with.
     */
    public List<Integer> ancestorsOf(int shardIndex) {
        List<Integer> out = new ArrayList<>();
        Deque<Integer> todo = new ArrayDeque<>(parentsOf(shardIndex));
        Set<Integer> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            int index = todo.removeFirst();
            if (seen.add(index)) {
                out.add(index);
                todo.addAll(parentsOf(index));
            }
        }
        return out;
    }

    /**
     * The shards a key with this hash went through to reach the shard, oldest first, ending with the shard: its
     * history, read in this order, is in version order (each generation continued the one before it).
     */
    public List<Integer> keyLineage(int shardIndex, BigInteger hashKey) {
        List<Integer> chain = new ArrayList<>();
        chain.add(shardIndex);
        for (int index = shardIndex;;) {
            int owner = -1;
            for (int parent : parentsOf(index)) {
                if (shards.get(parent).owns(hashKey)) {
                    owner = parent;
                }
            }
            if (owner < 0) {
                break;
            }
            chain.add(0, owner);
            index = owner;
        }
        return chain;
    }

    private List<Integer> parentsOf(int shardIndex) {
        Shard shard = shards.get(shardIndex);
        List<Integer> parents = new ArrayList<>(2);
        if (shard.parentShardId() != null) {
            parents.add(ShardIds.index(shard.parentShardId()));
        }
        if (shard.adjacentParentShardId() != null) {
            parents.add(ShardIds.index(shard.adjacentParentShardId()));
        }
        return parents;
    }
}
