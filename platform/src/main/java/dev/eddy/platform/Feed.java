package dev.eddy.platform;

import io.vertx.core.Future;

import java.util.Map;

/**
 * A reader over a stream: it catches up from its start, then follows appends as they come, shard by shard, in
 * order, every record once (at least once across restarts of a group: it resumes after the last checkpoint).
 * Records flow only against demand ({@link #request}) and while not paused, so a slow consumer holds back
 * only its own feed, never writers or other feeds. Feeds that caught up with a shard share one reader of its
 * new records, so following a shard costs no storage read per feed.
 *
 * <p>Confined to the context it was opened from, like its {@link FeedHandler}: call it from that context.
 */
public interface Feed {

    /** Demand that never runs out. */
    long UNBOUNDED = Long.MAX_VALUE;

    /**
     * Adds {@code n} records of demand ({@link #UNBOUNDED}: records flow until {@link #cancelDemand}). Records
     * of different shards share it fairly.
     */
    void request(long n);

    /** Drops the outstanding demand (bounded or not): nothing more is delivered until the next request. */
    void cancelDemand();

    /** The outstanding demand ({@link #UNBOUNDED} when unbounded). */
    long demand();

    /** Holds delivery back, demand or not (the consumer's buffer is full): a read in flight is kept for later. */
    void pause();

    /** Lets delivery go on after {@link #pause}. */
    void resume();

    /**
     * Stores the group's checkpoint for the shard: after a restart or rebalance the group resumes after that
     * record. Fails with INVALID_ARGUMENT without a group or for a number not of the shard, RESOURCE_IN_USE when
     * the shard is not (or no longer) this feed's.
     */
    Future<Void> checkpoint(String shardId, String sequenceNumber);

    /** How far each shard the feed reads is behind its newest record, as of its last read. */
    Map<String, Long> millisBehindLatest();

    /**
     * Where the feed stands in a shard it reads, as the sequence number to continue after (a Kinesis
     * AFTER_SEQUENCE_NUMBER start): the last record it delivered or skipped there, or, before any, the record just
     * before its start; at the shard's very first position, a number just below the shard's first one (no record has
     * it; reading after it starts at the beginning). {@code null} while its start is still being resolved, or for a
     * shard it does not read.
     */
    String resumeAfter(String shardId);

    /** Stops reading and leaves the group; idempotent. No handler call follows. */
    void close();
}
