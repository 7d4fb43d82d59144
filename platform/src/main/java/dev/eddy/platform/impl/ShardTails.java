package dev.eddy.platform.impl;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ShardTail}s of one server, at most one per stream incarnation and shard at a time. A tail starts
 * on the context of the first reader that joins it and removes itself once it has had no member for a while,
 * failed, or reached the end of a closed shard. Thread-safe.
 */
final class ShardTails {

    private record Key(String streamUid, int index) {
    }

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final ConcurrentMap<Key, ShardTail> tails = new ConcurrentHashMap<>();

    ShardTails(Vertx vertx, StreamsImpl streams) {
        this.vertx = vertx;
        this.streams = streams;
    }

    /**
     * Asks the tail of the member's shard (started now if there is none) to take the member on; called on the
     * member's context, which the tail then runs on if it is new.
     */
    void join(StreamMeta meta, int index, Context context, ShardTail.Member member) {
        tails.computeIfAbsent(new Key(meta.uid(), index), k -> new ShardTail(this, vertx, streams, meta, index,
                context, Thread.currentThread())).join(member);
    }

    /** Called by a tail that closed: the next join starts a new one. */
    void remove(ShardTail tail) {
        tails.remove(new Key(tail.meta().uid(), tail.index()), tail);
    }
}
