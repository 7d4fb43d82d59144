package dev.eddy.platform;

import io.vertx.core.Future;

/** One member's handle on its group (see {@link ConsumerGroups#join}). Thread-safe. */
public interface GroupMember {

    /** This member's id, unique in the server. */
    String memberId();

    /**
     * Stores that this member has processed the shard up to and including {@code sequenceNumber}; the
     * future succeeds once that is durable. Fails INVALID_ARGUMENT for a number that is not one of the
     * shard's records, RESOURCE_IN_USE when the shard is not (or no longer) assigned to this member.
     */
    Future<Void> checkpoint(String shardId, String sequenceNumber);

    /** Leaves the group, which rebalances its shards to the others. Idempotent. */
    void leave();
}
