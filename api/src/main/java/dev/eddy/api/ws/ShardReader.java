package dev.eddy.api.ws;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.ShardIteratorRequest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads one shard for one subscription. Behind the shard's newest record it catches up on its own: a page
 * from its own position, sent, then the next page. At most one read is in flight, and a wake-up during a read
 * makes it read again right after, so no append is missed and none is sent twice. Once a read reaches the
 * newest record, the reader joins the shard's {@link ShardTail} after the last record it sent, and the tail
 * hands it every later page (read once for all its members); a reader whose socket fills up or whose credit
 * runs out leaves the tail and continues on its own from its last record. Confined to the subscription's event
 * loop, except {@link #wantsWakeups} and {@link #wakeQueued}, read by the append listener.
 */
final class ShardReader {

    private static final int PAGE = 500;

    /** Set while a wake-up for this shard is queued on the loop (at most one at a time). */
    final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final ShardTails tails;
    /** The current joining of the tail (asked or accepted), else {@code null}. */
    private ShardTail.Member member;
    /** Whether the tail accepted {@link #member}: it delivers, appends need not wake this reader. */
    private volatile boolean live;

    private final Subscription subscription;
    private final String shardId;
    private ShardIteratorRequest start;
    private ShardIteratorRequest fallback;
    private String iterator;
    private String lastSequenceNumber;
    private boolean reading;
    private boolean wokenWhileReading;
    private boolean finished;
    private boolean stopped;
    private boolean inPump;
    private long millisBehindLatest;

    ShardReader(Subscription subscription, ShardTails tails, String shardId, ShardIteratorRequest start,
                String iterator) {
        this.subscription = subscription;
        this.tails = tails;
        this.shardId = shardId;
        this.start = start;
        this.iterator = iterator;
    }

    String shardId() {
        return shardId;
    }

    long millisBehindLatest() {
        return millisBehindLatest;
    }

    /** Whether appends to the shard should wake this reader (not while the tail delivers to it). Any thread. */
    boolean wantsWakeups() {
        return !live;
    }

    /**
     * Positions a reader made without an iterator at its start, then reads. When the start is refused as
     * invalid and a fallback is given (a group's {@code from} sequence number that is not of this shard),
     * starts at the fallback instead.
     */
    void begin(ShardIteratorRequest fallback) {
        this.fallback = fallback;
        position();
    }

    private void position() {
        reading = true;
        subscription.streams().getShardIterator(start)
                .recover(err -> {
                    if (fallback != null && err instanceof PlatformException p && p.code() == ErrorCode.INVALID_ARGUMENT) {
                        start = fallback;
                        fallback = null;
                        return subscription.streams().getShardIterator(start);
                    }
                    return Future.failedFuture(err);
                })
                .onComplete(ar -> subscription.onLoop(() -> {
                    reading = false;
                    if (stopped || subscription.isClosed()) {
                        return;
                    }
                    if (ar.failed()) {
                        failed(ar.cause());
                        return;
                    }
                    iterator = ar.result();
                    pump();
                }));
    }

    /**
     * Stops for good (the shard moved to another group member, or the subscription ended): a read in flight
     * is discarded, and the reader leaves the tail.
     */
    void stop() {
        stopped = true;
        if (member != null) {
            member.tail.leave(member);
            member = null;
            live = false;
        }
    }

    /** Reads the next page unless the tail delivers, a read is in flight, the socket is full or no credit is left. */
    void pump() {
        if (member != null) {
            return;
        }
        if (reading) {
            wokenWhileReading = true;
            return;
        }
        if (stopped || finished || subscription.isClosed() || !subscription.mayWrite()) {
            return;
        }
        if (iterator == null) {
            // Not positioned yet: a failed begin() that the fallback tick retries.
            position();
            return;
        }
        boolean credited = subscription.inCreditMode();
        int limit = credited ? subscription.reserveCredit(this, PAGE) : PAGE;
        if (limit == 0) {
            return;
        }
        reading = true;
        wokenWhileReading = false;
        inPump = true;
        try {
            subscription.streams().getRecords(iterator, limit)
                    .onComplete(ar -> subscription.onLoop(() -> afterRead(ar, limit, credited)));
        } finally {
            inPump = false;
        }
    }

    /**
     * Sends the page's matching records. A credited read reserved its credit, so it cannot overshoot; a read
     * started before the client switched to credit mode takes credit per event and, when it runs out,
     * continues later after the last record it handled.
     */
    private void afterRead(AsyncResult<GetRecordsResult> ar, int limit, boolean credited) {
        reading = false;
        if (subscription.isClosed()) {
            return;
        }
        if (stopped) {
            if (credited) {
                subscription.returnCredit(limit);
            }
            return;
        }
        if (ar.failed()) {
            failed(ar.cause());
            if (credited) {
                subscription.returnCredit(limit);
            }
            return;
        }
        GetRecordsResult page = ar.result();
        int sent = 0;
        long sentBytes = 0;
        boolean outOfCredit = false;
        String handled = null;
        for (Record r : page.records()) {
            if (subscription.params().matches(r.partitionKey())) {
                if (!credited && subscription.inCreditMode() && !subscription.takeCredit()) {
                    outOfCredit = true;
                    break;
                }
                subscription.sendEvent(shardId, r);
                sent++;
                sentBytes += r.data().length;
            }
            handled = r.sequenceNumber();
        }
        millisBehindLatest = page.millisBehindLatest();
        if (sent > 0) {
            subscription.flush();
            subscription.sent(shardId, sent, sentBytes);
        }
        if (handled != null) {
            lastSequenceNumber = handled;
        }
        if (outOfCredit) {
            if (handled != null) {
                renewIterator();
            }
            // else: nothing handled, the old iterator still points at the first unsent record.
            return;
        }
        iterator = page.nextShardIterator();
        // Only now, with the position advanced: giving credit back may pump other readers.
        if (credited) {
            subscription.returnCredit(limit - sent);
        }
        if (iterator == null) {
            // A closed shard read to its end; following its children comes with resharding support.
            finished = true;
            return;
        }
        // A page that reached the shard's newest record needs no second read: the reader joins the tail after
        // the last record it handled (which then hands it everything later); or, with nothing read yet, the
        // next append wakes it (one that arrived during this read set wokenWhileReading).
        if (page.caughtUp() && lastSequenceNumber != null && !stopped) {
            member = new ShardTail.Member(this, subscription.context(), lastSequenceNumber);
            tails.join(subscription.params().stream(), shardId, member);
            return;
        }
        if (!page.caughtUp() || wokenWhileReading) {
            if (inPump) {
                // The read completed synchronously: continue from the event loop, not deeper in this stack.
                subscription.later(this::pump);
            } else {
                pump();
            }
        }
    }

    // ---- the tail (on the loop) -------------------------------------------------------------------

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
     * A page from the tail: the records after the last one handled are sent (a reader that joined ahead of
     * the tail skips the rest). A socket that is full takes nothing and an exhausted credit stops the page:
     * the reader leaves the tail and continues after its last record once it can send again.
     */
    void take(ShardTail.Member m, ShardTail.Page page) {
        if (m != member || !live) {
            return;
        }
        if (subscription.isClosed()) {
            stop();
            return;
        }
        if (!subscription.mayWrite()) {
            leaveTail();
            return;
        }
        int sent = 0;
        long sentBytes = 0;
        boolean outOfCredit = false;
        List<Record> records = page.records();
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            if (lastSequenceNumber.compareTo(r.sequenceNumber()) >= 0) {
                continue;
            }
            if (subscription.params().matches(r.partitionKey())) {
                if (subscription.inCreditMode() && !subscription.takeCredit()) {
                    outOfCredit = true;
                    break;
                }
                subscription.sendFrame(page.frames().get(i));
                sent++;
                sentBytes += r.data().length;
            }
            lastSequenceNumber = r.sequenceNumber();
        }
        millisBehindLatest = page.millisBehindLatest();
        if (sent > 0) {
            subscription.flush();
            subscription.sent(shardId, sent, sentBytes);
        }
        if (outOfCredit) {
            leaveTail();
        }
    }

    /** The tail dissolved: the reader continues on its own from its last record. */
    void dropped(ShardTail.Member m) {
        if (m != member) {
            return;
        }
        member = null;
        live = false;
        continueAfterLast();
        pump();
    }

    /** Leaves the tail; the next pump (drained socket, new credit, the fallback tick) reads on its own. */
    private void leaveTail() {
        member.tail.leave(member);
        member = null;
        live = false;
        continueAfterLast();
    }

    private void continueAfterLast() {
        start = new ShardIteratorRequest(start.stream(), shardId, IteratorType.AFTER_SEQUENCE_NUMBER,
                lastSequenceNumber, null);
        fallback = null;
        iterator = null;
    }

    private void failed(Throwable err) {
        ErrorCode code = err instanceof PlatformException p ? p.code() : ErrorCode.INTERNAL_FAILURE;
        switch (code) {
            case RESOURCE_NOT_FOUND -> subscription.streamDeleted();
            case EXPIRED_ITERATOR -> renewIterator();
            case SERVICE_UNAVAILABLE, PROVISIONED_THROUGHPUT_EXCEEDED ->
                    // The fallback tick reads again; the client learns why events are late.
                    subscription.sendError("ServiceUnavailable", "Reading " + shardId + " failed, retrying: "
                            + err.getMessage());
            default -> subscription.fail(shardId, err);
        }
    }

    /** A reader held back longer than an iterator lives continues after the last record it saw. */
    private void renewIterator() {
        ShardIteratorRequest request = lastSequenceNumber == null ? start
                : new ShardIteratorRequest(start.stream(), shardId, IteratorType.AFTER_SEQUENCE_NUMBER,
                        lastSequenceNumber, null);
        reading = true;
        subscription.streams().getShardIterator(request).onComplete(ar -> subscription.onLoop(() -> {
            reading = false;
            if (stopped || subscription.isClosed()) {
                return;
            }
            if (ar.failed()) {
                failed(ar.cause() instanceof PlatformException p && p.code() == ErrorCode.EXPIRED_ITERATOR
                        ? new PlatformException(ErrorCode.INTERNAL_FAILURE, p.getMessage()) : ar.cause());
                return;
            }
            iterator = ar.result();
            pump();
        }));
    }
}
