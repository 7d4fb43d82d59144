package dev.eddy.platform.impl;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Reads one shard for one {@link FeedImpl}. Behind the shard's newest record it catches up on its own: a page
 * from its position, delivered, then the next page. At most one read is in flight, and a wake-up during a read
 * makes it read again right after, so no append is missed and none is delivered twice. Once a read reaches the
 * newest record the reader joins the shard's {@link ShardTail} at its next position, and the tail hands it
 * every later page (read once for all its members); a reader whose feed pauses or runs out of demand leaves the
 * tail and continues on its own from its position. Confined to the feed's context, except {@link #wantsWakeups}
 * and {@link #wakeQueued}, read by the append listener.
 */
final class FeedShardReader {

    private static final int PAGE = 500;

    /** Set while a wake-up for this shard is queued on the context (at most one at a time). */
    final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final FeedImpl feed;
    private final StreamsImpl streams;
    private final ShardTails tails;
    private final StreamMeta meta;
    private final int index;
    private final String shardId;
    /** Where to start while not positioned yet; a sequence number not of this shard falls back to the oldest. */
    private final FeedStart start;
    private final boolean trimHorizonIfNotOwned;
    /** The position read next, or -1 before the reader is positioned. */
    private long next;
    /** The current joining of the tail (asked or accepted), else {@code null}. */
    private ShardTail.Member member;
    /** Whether the tail accepted {@link #member}: it delivers, appends need not wake this reader. */
    private volatile boolean live;
    /** A page read while the feed was paused: delivered on resume, before anything else is read. */
    private ShardPage pending;
    private boolean reading;
    private boolean wokenWhileReading;
    private boolean finished;
    private boolean stopped;
    private boolean inPump;
    private long millisBehindLatest;
    private long delivered;

    FeedShardReader(FeedImpl feed, StreamsImpl streams, ShardTails tails, StreamMeta meta, int index, FeedStart start,
                    boolean trimHorizonIfNotOwned, long position) {
        this.feed = feed;
        this.streams = streams;
        this.tails = tails;
        this.meta = meta;
        this.index = index;
        this.shardId = ShardIds.of(index);
        this.start = start;
        this.trimHorizonIfNotOwned = trimHorizonIfNotOwned;
        this.next = position;
    }

    String shardId() {
        return shardId;
    }

    long millisBehindLatest() {
        return millisBehindLatest;
    }

    /** Whether this reader has delivered no record yet. */
    boolean deliveredNothing() {
        return delivered == 0;
    }

    boolean active() {
        return !finished && !stopped;
    }

    /** Whether appends to the shard should wake this reader (not while the tail delivers to it). Any thread. */
    boolean wantsWakeups() {
        return !live;
    }

    /** Stops for good (the shard left the feed, or the feed closed): a read in flight is discarded. */
    void stop() {
        stopped = true;
        pending = null;
        if (member != null) {
            member.tail.leave(member);
            member = null;
            live = false;
        }
    }

    /** Delivers or reads, unless the tail delivers, a read is in flight, the feed is paused or has no demand. */
    void pump() {
        if (member != null || stopped || finished || feed.isClosed()) {
            return;
        }
        if (reading) {
            wokenWhileReading = true;
            return;
        }
        if (feed.isPaused() || feed.demand() == 0) {
            return;
        }
        if (pending != null) {
            ShardPage page = pending;
            pending = null;
            afterPage(page);
            return;
        }
        if (next < 0) {
            position();
            return;
        }
        int limit = feed.share(PAGE);
        reading = true;
        wokenWhileReading = false;
        inPump = true;
        try {
            streams.readShard(meta, index, next, limit).onComplete(ar -> feed.onContext(() -> afterRead(ar)));
        } finally {
            inPump = false;
        }
    }

    private void position() {
        reading = true;
        streams.feedPosition(meta, index, start)
                .recover(err -> trimHorizonIfNotOwned && err instanceof PlatformException p
                        && p.code() == ErrorCode.INVALID_ARGUMENT ? Future.succeededFuture(0L) : Future.failedFuture(err))
                .onComplete(ar -> feed.onContext(() -> {
                    if (settled(ar)) {
                        next = ar.result();
                        pump();
                    }
                }));
    }

    /** The end of a store call: false once stopped or after handling a failure, true to use the result. */
    private boolean settled(AsyncResult<?> ar) {
        reading = false;
        if (stopped || feed.isClosed()) {
            return false;
        }
        if (ar.failed()) {
            failed(ar.cause());
            return false;
        }
        return true;
    }

    private void afterRead(AsyncResult<ShardPage> ar) {
        if (!settled(ar)) {
            return;
        }
        if (feed.isPaused()) {
            pending = ar.result();
            return;
        }
        afterPage(ar.result());
    }

    private void afterPage(ShardPage page) {
        millisBehindLatest = page.millisBehindLatest();
        if (!deliver(page.records(), page.nextPosition() - page.records().size(), page.millisBehindLatest())) {
            // Out of demand, paused or stopped by the consumer: continue from the position once it asks again.
            return;
        }
        next = Math.max(next, page.nextPosition());
        if (page.ended()) {
            finished = true;
            feed.shardEnded(this, page.children());
            return;
        }
        if (page.caughtUp() && !feed.isPaused() && feed.demand() > 0) {
            // Nothing newer to read: the shard's tail hands this reader everything appended from here on.
            member = new ShardTail.Member(this, feed.context(), next);
            tails.join(meta, index, feed.context(), member);
            return;
        }
        if (!page.caughtUp() || wokenWhileReading) {
            if (inPump) {
                // The read completed synchronously: continue from the context, not deeper in this stack.
                feed.later(this::pump);
            } else {
                pump();
            }
        }
    }

    /**
     * Delivers the records (at consecutive positions from {@code first}) from the reader's position on, as far
     * as the demand goes; returns whether every one was taken (delivered or filtered out) and the feed still
     * wants more.
     */
    private boolean deliver(List<Record> records, long first, long behind) {
        int from = (int) Math.max(0, Math.min(records.size(), next - first));
        Predicate<String> filter = feed.keyFilter();
        List<Record> out;
        int taken;
        if (filter == null) {
            int n = (int) feed.take(records.size() - from);
            out = records.subList(from, from + n);
            taken = from + n;
        } else {
            out = new ArrayList<>();
            taken = from;
            while (taken < records.size()) {
                Record r = records.get(taken);
                if (filter.test(r.partitionKey())) {
                    if (feed.take(1) == 0) {
                        break;
                    }
                    out.add(r);
                }
                taken++;
            }
        }
        if (taken > from) {
            next = first + taken;
        }
        if (!out.isEmpty()) {
            delivered += out.size();
            feed.emit(shardId, out, behind);
        }
        return taken == records.size() && !stopped && !feed.isClosed() && !feed.isPaused();
    }

    /**
     * The sequence number to continue after: the position before the reader's, or the shard's before-the-first
     * number at its first position; null while the reader is not positioned yet.
     */
    String resumeAfter() {
        return next > 0 ? SequenceNumbers.format(meta.createdMillis(), index, next - 1)
                : next == 0 ? SequenceNumbers.beforeFirst(meta.createdMillis(), index) : null;
    }

    // ---- the tail (on the feed's context) -------------------------------------------------------------

    /** The tail's answer to a join; an accepted one comes with the recent records the reader missed. */
    void joined(ShardTail.Member m, boolean accepted, ShardTail.Page backlog) {
        if (m != member) {
            if (accepted) {
                m.tail.leave(m);
            }
            return;
        }
        if (!accepted) {
            member = null;
            pump();
            return;
        }
        live = true;
        if (!backlog.records().isEmpty()) {
            take(m, backlog);
        }
    }

    /**
     * A page from the tail: the records from the reader's position on are delivered (a reader that joined ahead
     * of the tail skips the rest). A paused feed takes nothing, and one that runs out of demand stops the page:
     * the reader leaves the tail and continues on its own once the feed asks again.
     */
    void take(ShardTail.Member m, ShardTail.Page page) {
        if (m != member || !live) {
            return;
        }
        if (stopped || feed.isClosed()) {
            stop();
            return;
        }
        if (feed.isPaused()) {
            leaveTail();
            return;
        }
        millisBehindLatest = page.millisBehindLatest();
        if (!deliver(page.records(), page.first(), page.millisBehindLatest()) && member == m) {
            leaveTail();
        }
    }

    /** The tail dissolved: the reader continues on its own from its position. */
    void dropped(ShardTail.Member m) {
        if (m != member) {
            return;
        }
        member = null;
        live = false;
        pump();
    }

    private void leaveTail() {
        member.tail.leave(member);
        member = null;
        live = false;
    }

    private void failed(Throwable err) {
        ErrorCode code = err instanceof PlatformException p ? p.code() : ErrorCode.INTERNAL_FAILURE;
        switch (code) {
            case RESOURCE_NOT_FOUND -> feed.streamDeleted();
            // The fallback tick reads again; the consumer learns why records are late.
            case SERVICE_UNAVAILABLE, PROVISIONED_THROUGHPUT_EXCEEDED -> feed.retrying(shardId, (PlatformException) err);
            default -> feed.fail(shardId, err);
        }
    }
}
