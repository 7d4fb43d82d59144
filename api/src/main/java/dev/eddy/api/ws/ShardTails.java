package dev.eddy.api.ws;

import dev.eddy.platform.Streams;
import io.vertx.core.Vertx;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ShardTail}s of one server, at most one per stream and shard at a time. A tail starts on the event
 * loop of the first reader that joins it and removes itself once it has had no member for a while or failed.
 * Thread-safe.
 */
final class ShardTails {

    private record Key(String stream, String shardId) {
    }

    private final Vertx vertx;
    private final Streams streams;
    private final EventFrames frames;
    private final ConcurrentMap<Key, ShardTail> tails = new ConcurrentHashMap<>();

    ShardTails(Vertx vertx, Streams streams, EventFrames frames) {
        this.vertx = vertx;
        this.streams = streams;
        this.frames = frames;
    }

    /**
     * Asks the tail of the member's shard (started now if there is none) to take the member on; called on the
     * member's event loop, which the tail then runs on if it is new.
     */
    void join(String stream, String shardId, ShardTail.Member member) {
        tails.computeIfAbsent(new Key(stream, shardId), k -> new ShardTail(this, vertx, streams, frames,
                member.context, Thread.currentThread(), stream, shardId)).join(member);
    }

    /** Called by a tail that closed: the next join starts a new one. */
    void remove(ShardTail tail) {
        tails.remove(new Key(tail.stream, tail.shardId), tail);
    }
}
