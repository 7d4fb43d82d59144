package dev.eddy.platform;

import io.vertx.core.Future;

import java.util.List;
import java.util.function.Consumer;

/**
 * Consumer groups over a stream, like Kafka consumer groups or KCL applications: the members of a group
 * split the stream's open shards between them, rebalance when one joins or leaves, and store per-shard
 * checkpoints durably, so a member that takes over a shard (or a reconnect after a restart) resumes after
 * the last checkpoint: at-least-once delivery. Membership lives in this server's memory; checkpoints live
 * in the store's metadata under the stream's incarnation, so deleting a stream drops its groups.
 * Thread-safe; no method blocks.
 */
public interface ConsumerGroups {

    /**
     * Joins {@code group} of {@code stream}. The listener gets this member's assignment now and after every
     * rebalance, each with a higher generation; it runs on whatever thread rebalanced and must not block
     * (hop to your own context, and ignore an assignment older than one already applied). Fails
     * RESOURCE_NOT_FOUND for an unknown or deleting stream, INVALID_ARGUMENT for a bad group name.
     */
    Future<GroupMember> join(String stream, String group, Consumer<GroupAssignment> listener);

    /** The group's members, assignment and checkpoints; RESOURCE_NOT_FOUND if it has neither. */
    Future<GroupDescription> describe(String stream, String group);

    /** Every group of the stream that has members or checkpoints, sorted by name. */
    Future<List<GroupDescription>> list(String stream);

    /** Forgets the group's checkpoints; RESOURCE_IN_USE while it has members. */
    Future<Void> delete(String stream, String group);
}
