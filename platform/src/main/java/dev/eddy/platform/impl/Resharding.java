package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.LogState;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.Shard;
import dev.eddy.platform.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
    private static final int UPDATES_PER_DAY = 10;

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final PlatformOptions options;
    /** Per stream incarnation, when UpdateShardCount ran in the last 24 hours. */
    private final Map<String, Deque<Long>> updates = new ConcurrentHashMap<>();

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

    /**
     * UpdateShardCount with UNIFORM_SCALING: the open shards become {@code target} shards of equal hash-key
     * ranges, reached the way Kinesis reaches them, by splits and merges: every target boundary inside an open
     * shard splits it, then the shards inside each target range merge pairwise, left to right. Shards made and
     * closed on the way are empty. All of it is one reshard (one drain, one metadata put); every shard keeps at
     * most two parents, so readers that go parents-first cross it like any split or merge. Returns the open shard
     * count before. Kinesis's limits: at most double or half the open shards, the shard limit, and
     * {@value #UPDATES_PER_DAY} updates per stream in a rolling 24 hours.
     */
    Future<Integer> updateShardCount(String stream, int target) {
        StreamMeta meta;
        Layout plan;
        try {
            meta = streams.reshardable(stream);
            int open = (int) meta.shards().stream().filter(Shard::isOpen).count();
            if (target < 1 || target > options.maxShardsPerStream()) {
                throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "Target shard count or number of open shards"
                        + " cannot be greater than " + options.maxShardsPerStream() + ". Current open shard count: "
                        + open + ", Target shard count: " + target);
            }
            if (target > open * 2) {
                throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "UpdateShardCount cannot scale up over double"
                        + " your current open shard count. Current open shard count: " + open
                        + ", Target shard count: " + target);
            }
            if (target * 2 < open) {
                throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "UpdateShardCount cannot scale down below half"
                        + " your current open shard count. Current open shard count: " + open
                        + ", Target shard count: " + target);
            }
            recordUpdate(meta);
            plan = new Layout(meta, target, 0, meta.nextShardIndex());
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        int before = (int) meta.shards().stream().filter(Shard::isOpen).count();
        if (plan.closingOld.isEmpty()) {
            return Future.succeededFuture(before); // already that many uniform shards
        }
        return reshard(meta, plan.closingOld, (now, next) -> new Layout(meta, target, now, next).born)
                .map(before);
    }

    private void recordUpdate(StreamMeta meta) {
        long now = options.clock().millis();
        Deque<Long> times = updates.computeIfAbsent(meta.uid(), k -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && times.peekFirst() <= now - 86_400_000L) {
                times.removeFirst();
            }
            if (times.size() >= UPDATES_PER_DAY) {
                throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "Stream " + meta.name() + " under account "
                        + options.accountId() + " has already been updated " + UPDATES_PER_DAY + " times in the last"
                        + " 24 hours with UpdateShardCount; try again later.");
            }
            times.addLast(now);
        }
    }

    /** The splits and merges from the open shards to {@code target} uniform shards. */
    private static final class Layout {
        /** The open shards it closes (unchanged ones stay open). */
        final List<Shard> closingOld = new ArrayList<>();
        /** The shards it makes, in index order: the closed intermediate ones and the new open ones. */
        final List<Shard> born = new ArrayList<>();
        private final StreamMeta meta;
        private final long now;
        private int next;

        Layout(StreamMeta meta, int target, long now, int next) {
            this.meta = meta;
            this.now = now;
            this.next = next;
            List<Shard> open = new ArrayList<>(meta.shards().stream().filter(Shard::isOpen).toList());
            open.sort(Comparator.comparing(Shard::startingHashKey));
            BigInteger space = MAX_HASH_KEY.add(BigInteger.ONE);
            List<BigInteger> bounds = new ArrayList<>();
            for (int i = 1; i < target; i++) {
                bounds.add(space.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(target)));
            }
            for (BigInteger b : bounds) {
                for (int i = 0; i < open.size(); i++) {
                    Shard s = open.get(i);
                    if (s.startingHashKey().compareTo(b) < 0 && s.endingHashKey().compareTo(b) >= 0) {
                        close(s);
                        open.set(i, make(s.shardId(), null, s.startingHashKey(), b.subtract(BigInteger.ONE)));
                        open.add(i + 1, make(s.shardId(), null, b, s.endingHashKey()));
                        break;
                    }
                }
            }
            List<BigInteger> starts = new ArrayList<>();
            starts.add(BigInteger.ZERO);
            starts.addAll(bounds);
            List<Shard> result = new ArrayList<>();
            int at = 0;
            for (int r = 0; r < starts.size(); r++) {
                BigInteger rangeEnd = r + 1 < starts.size() ? starts.get(r + 1).subtract(BigInteger.ONE) : MAX_HASH_KEY;
                Shard merged = open.get(at++);
                while (at < open.size() && open.get(at).endingHashKey().compareTo(rangeEnd) <= 0) {
                    Shard right = open.get(at++);
                    close(merged);
                    close(right);
                    merged = make(merged.shardId(), right.shardId(), merged.startingHashKey(), right.endingHashKey());
                }
                result.add(merged);
            }
        }

        /** Closes an old open shard (its end is read when it has drained) or a shard made on the way (empty). */
        private void close(Shard s) {
            int bornAt = born.indexOf(s);
            if (bornAt >= 0) {
                int index = ShardIds.index(s.shardId());
                born.set(bornAt, new Shard(s.shardId(), s.parentShardId(), s.adjacentParentShardId(),
                        s.startingHashKey(), s.endingHashKey(), s.startingSequenceNumber(),
                        SequenceNumbers.format(meta.createdMillis(), index, 0), s.createdMillis(), now));
            } else {
                closingOld.add(s);
            }
        }

        private Shard make(String parent, String adjacentParent, BigInteger start, BigInteger end) {
            Shard shard = child(meta, next++, parent, adjacentParent, start, end, now);
            born.add(shard);
            return shard;
        }
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
        Set<Integer> indexes = new HashSet<>();
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
            throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "This request would exceed the"
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
