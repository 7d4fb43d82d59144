package dev.eddy.api.ws;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.ShardIteratorRequest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;

/**
 * Reads one shard for one subscription: a page from its own position, sent, then the next page; once caught
 * up it waits for a wake-up (or the subscription's fallback tick). At most one read is in flight, and a
 * wake-up during a read makes it read again right after, so no append is missed and none is sent twice.
 * Confined to the subscription's event loop.
 */
final class ShardReader {

    private static final int PAGE = 500;

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

    ShardReader(Subscription subscription, String shardId, ShardIteratorRequest start, String iterator) {
        this.subscription = subscription;
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

    /** Stops for good (the shard moved to another group member): a read in flight is discarded. */
    void stop() {
        stopped = true;
    }

    /** Reads the next page unless a read is in flight, the socket is full or no credit is left. */
    void pump() {
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
        // A page that reached the shard's newest record needs no second read: the next append wakes the
        // reader (and one that arrived during this read set wokenWhileReading).
        if (!page.caughtUp() || wokenWhileReading) {
            if (inPump) {
                // The read completed synchronously: continue from the event loop, not deeper in this stack.
                subscription.later(this::pump);
            } else {
                pump();
            }
        }
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
