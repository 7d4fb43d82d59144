package dev.eddy.platform.impl;

import dev.eddy.eventstore.LogState;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.Shard;
import dev.eddy.platform.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * SplitShard and MergeShards. A reshard marks the stream UPDATING, closes the gates of the shards it closes
 * ({@link ShardGates}: appends to them wait, and those already writing finish), reads where each of them ends,
 * and stores the new layout in one metadata put: the closed shards with their ending sequence numbers and the
 * children, whose sequence numbers are all above their parents' (the shard index comes before the position in a
 * sequence number). Only then do the waiting appends route again, to the children; so an append lands in a
 * parent before its end or in a child, and a crash before the put leaves the stream as it was (no append was
 * acknowledged in a child that the stored layout does not have). Thread-safe.
 */
final class Resharding {

    private static final BigInteger MAX_HASH_KEY = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final PlatformOptions options;

    Resharding(Vertx vertx, StreamsImpl streams, PlatformOptions options) {
        this.vertx = vertx;
        this.streams = streams;
        this.options = options;
    }

    Future<Void> split(String stream, String shardToSplit, String newStartingHashKey) {
        StreamMeta meta;
        Shard parent;
        BigInteger key;
        try {
            meta = streams.reshardable(stream);
            parent = openShard(meta, shardToSplit);
            key = hashKey(newStartingHashKey);
            if (key.compareTo(parent.startingHashKey().add(BigInteger.ONE)) <= 0
                    || key.compareTo(parent.endingHashKey()) >= 0) {
                throw PlatformException.invalidArgument("NewStartingHashKey " + newStartingHashKey
                        + " used in SplitShard() on shard " + parent.shardId() + " in stream " + stream
                        + " under account " + options.accountId() + " is not both greater than one plus the shard's"
                        + " StartingHashKey " + parent.startingHashKey() + " and less than the shard's EndingHashKey "
                        + parent.endingHashKey() + ".");
            }
            checkLimit(meta, 1);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        BigInteger splitAt = key;
        return reshard(meta, List.of(parent), (now, next) -> {
            int first = next;
            return List.of(
                    child(meta, first, parent.shardId(), null, parent.startingHashKey(),
                            splitAt.subtract(BigInteger.ONE), now),
                    child(meta, first + 1, parent.shardId(), null, splitAt, parent.endingHashKey(), now));
        });
    }

    Future<Void> merge(String stream, String shardToMerge, String adjacentShardToMerge) {
        StreamMeta meta;
        Shard a;
        Shard b;
        try {
            meta = streams.reshardable(stream);
            a = openShard(meta, shardToMerge);
            b = openShard(meta, adjacentShardToMerge);
            boolean adjacent = a != b && (a.endingHashKey().add(BigInteger.ONE).equals(b.startingHashKey())
                    || b.endingHashKey().add(BigInteger.ONE).equals(a.startingHashKey()));
            if (!adjacent) {
                throw PlatformException.invalidArgument("Shards " + a.shardId() + " and " + b.shardId()
                        + " in stream " + stream + " under account " + options.accountId()
                        + " are not an adjacent pair of shards eligible for merging");
            }
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        BigInteger start = a.startingHashKey().min(b.startingHashKey());
        BigInteger end = a.endingHashKey().max(b.endingHashKey());
        return reshard(meta, List.of(a, b), (now, next) ->
                List.of(child(meta, next, a.shardId(), b.shardId(), start, end, now)));
    }

    /** Makes the children of the closing shards, given the time and the next free shard index. */
    private interface Children {
        List<Shard> of(long nowMillis, int nextShardIndex);
    }

    private Future<Void> reshard(StreamMeta meta, List<Shard> closing, Children children) {
        if (!streams.beginReshard(meta)) {
            return Future.failedFuture(PlatformException.inUse("Stream " + meta.name() + " under account "
                    + options.accountId() + " not ACTIVE, instead in state " + StreamStatus.UPDATING));
        }
        Set<Integer> indexes = new java.util.HashSet<>();
        List<Future<LogState>> ends = new ArrayList<>();
        for (Shard s : closing) {
            indexes.add(ShardIds.index(s.shardId()));
        }
        ShardGates gates = streams.gates(meta.uid());
        return gates.close(vertx, indexes)
                .compose(drained -> {
                    for (Shard s : closing) {
                        ends.add(streams.logState(meta.logName(ShardIds.index(s.shardId()))));
                    }
                    return Future.all(ends);
                })
                .compose(all -> {
                    StreamMeta current = streams.reshardingMeta(meta.name(), meta.uid());
                    long now = options.clock().millis();
                    List<Shard> shards = new ArrayList<>(current.shards());
                    for (int i = 0; i < closing.size(); i++) {
                        Shard s = closing.get(i);
                        int index = ShardIds.index(s.shardId());
                        long last = Math.max(0, ends.get(i).result().nextPosition() - 1);
                        shards.set(index, new Shard(s.shardId(), s.parentShardId(), s.adjacentParentShardId(),
                                s.startingHashKey(), s.endingHashKey(), s.startingSequenceNumber(),
                                SequenceNumbers.format(meta.createdMillis(), index, last), s.createdMillis(), now));
                    }
                    List<Shard> born = children.of(now, current.nextShardIndex());
                    shards.addAll(born);
                    return streams.commitReshard(current.withShards(shards, current.nextShardIndex() + born.size(),
                            StreamStatus.ACTIVE));
                })
                .onComplete(ar -> {
                    gates.finish(indexes, ar.succeeded());
                    if (ar.succeeded()) {
                        closing.forEach(s -> streams.shardClosed(meta.name(), s.shardId()));
                        streams.resharded(meta.name());
                    } else {
                        streams.abandonReshard(meta.name(), meta.uid());
                    }
                });
    }

    private static Shard child(StreamMeta meta, int index, String parent, String adjacentParent, BigInteger start,
                               BigInteger end, long now) {
        return new Shard(ShardIds.of(index), parent, adjacentParent, start, end,
                SequenceNumbers.format(meta.createdMillis(), index, 0), null, now, -1);
    }

    private Shard openShard(StreamMeta meta, String shardId) {
        int index = shardId == null ? -1 : ShardIds.index(shardId);
        if (index < 0 || index >= meta.shards().size()) {
            throw PlatformException.notFound("Could not find shard " + shardId + " in stream " + meta.name()
                    + " under account " + options.accountId() + ".");
        }
        Shard shard = meta.shards().get(index);
        if (!shard.isOpen()) {
            throw PlatformException.invalidArgument("Shard " + shard.shardId() + " in stream " + meta.name()
                    + " under account " + options.accountId() + " has already been merged or split, and thus is not"
                    + " eligible for merging or splitting.");
        }
        return shard;
    }

    private void checkLimit(StreamMeta meta, int more) {
        long open = meta.shards().stream().filter(Shard::isOpen).count();
        if (open + more > options.maxShardsPerStream()) {
            throw new PlatformException(dev.eddy.platform.ErrorCode.LIMIT_EXCEEDED, "This request would exceed the"
                    + " shard limit for the stream " + meta.name() + ": it has " + open + " open shards, the limit is "
                    + options.maxShardsPerStream() + " and the request would add " + more + ".");
        }
    }

    private static BigInteger hashKey(String text) {
        if (text == null || text.isEmpty() || text.length() > 39 || !text.chars().allMatch(Character::isDigit)) {
            throw PlatformException.invalidArgument("NewStartingHashKey '" + text
                    + "' is not a decimal hash key from 0 to 2^128 - 1.");
        }
        BigInteger key = new BigInteger(text);
        if (key.compareTo(MAX_HASH_KEY) > 0) {
            throw PlatformException.invalidArgument("NewStartingHashKey " + text + " is above 2^128 - 1.");
        }
        return key;
    }
}
