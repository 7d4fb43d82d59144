package dev.eddy.platform;

import java.util.List;

/**
 * The shards a feed reads from now on. Immutable.
 *
 * @param stream     the stream
 * @param shardIds   the shards, in shard-id order
 * @param assignment the group assignment that gave them, or {@code null} for a feed without a group
 */
public record FeedShards(String stream, List<String> shardIds, GroupAssignment assignment) {
}
