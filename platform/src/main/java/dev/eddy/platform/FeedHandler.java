package dev.eddy.platform;

import java.util.List;

/**
 * Receives what a {@link Feed} reads. Every call comes on the feed's context (the Vert.x context it was opened
 * from), one at a time; a handler may call the feed's methods from inside a call. A handler must not block.
 */
public interface FeedHandler {

    /**
     * The shards the feed reads from now on: once before any record, again after every group rebalance and
     * when children follow a parent read to its end. Records of a shard come only after the call that names it.
     */
    void shards(FeedShards shards);

    /** Records of one shard, after the last ones delivered from it; never more than the outstanding demand. */
    void records(FeedBatch batch);

    /**
     * A closed shard (split or merged) was read to its end; its children are read once all their parents have
     * been (a {@link #shards} call names them).
     */
    default void shardEnded(String shardId, List<ChildShard> children) {
    }

    /** A read of the shard failed and is retried (the store was unavailable): records are late, none lost. */
    void retrying(String shardId, PlatformException cause);

    /** The feed ended by itself; no call follows. Not called after {@link Feed#close()}. */
    void ended(FeedEnd end);
}
