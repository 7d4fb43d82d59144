package dev.eddy.platform.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The appends in flight to each shard of one stream incarnation, and the gate a reshard closes in front of the
 * shards it closes: an append enters its shards before it writes and leaves when the write is done; once a
 * reshard has closed the gate of a shard, appends that come later wait for the reshard and then route again
 * (to the children), and the reshard itself waits until the appends that entered before have finished. So an
 * append racing a split lands either in the parent before its end or in a child, never in both and never lost.
 * Lock-free on the append path (one counter increment and a volatile read); thread-safe.
 */
final class ShardGates {

    private final ConcurrentMap<Integer, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private volatile Set<Integer> closed = Set.of();
    private volatile Promise<Void> reshard;

    private AtomicInteger counter(int shard) {
        return inFlight.computeIfAbsent(shard, k -> new AtomicInteger());
    }

    /**
     * Enters every one of the shards for an append; returns {@code null} when it did, or (having entered none)
     * a future that completes when the reshard closing one of them is over: route again then.
     */
    Future<Void> enter(int[] shards) {
        for (int i = 0; i < shards.length; i++) {
            counter(shards[i]).incrementAndGet();
            // Counter first, then the gate: a reshard that closes the gate and then sees a zero count knows no
            // append it missed can still write (the append will see the gate closed and back off).
            if (closed.contains(shards[i])) {
                for (int j = 0; j <= i; j++) {
                    exit(shards[j]);
                }
                Promise<Void> waiting = reshard;
                return waiting == null ? Future.succeededFuture() : waiting.future();
            }
        }
        return null;
    }

    /** Leaves a shard an append entered. */
    void exit(int shard) {
        counter(shard).decrementAndGet();
    }

    /**
     * Closes the gates of the shards and completes once no append is in flight to any of them (checked every
     * millisecond on a timer; appends finish in about a commit's time). One reshard at a time.
     */
    Future<Void> close(Vertx vertx, Set<Integer> shards) {
        reshard = Promise.promise();
        Set<Integer> more = new HashSet<>(closed);
        more.addAll(shards);
        closed = Set.copyOf(more);
        Promise<Void> drained = Promise.promise();
        awaitDrained(vertx, shards, drained);
        return drained.future();
    }

    private void awaitDrained(Vertx vertx, Set<Integer> shards, Promise<Void> drained) {
        for (int shard : shards) {
            if (counter(shard).get() > 0) {
                vertx.setTimer(1, id -> awaitDrained(vertx, shards, drained));
                return;
            }
        }
        drained.complete();
    }

    /**
     * The reshard is over: the waiting appends route again. Shards it closed stay closed for good (an append
     * that routed with the old layout backs off and routes again, to the children); an abandoned reshard
     * ({@code done} false) reopens them.
     */
    void finish(Set<Integer> shards, boolean done) {
        Promise<Void> over = reshard;
        if (!done) {
            Set<Integer> fewer = new HashSet<>(closed);
            fewer.removeAll(shards);
            closed = Set.copyOf(fewer);
        }
        reshard = null;
        if (over != null) {
            over.complete();
        }
    }
}
