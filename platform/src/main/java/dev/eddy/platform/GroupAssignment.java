package dev.eddy.platform;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one member of a consumer group reads after a rebalance. Immutable.
 *
 * @param stream      the stream
 * @param group       the group
 * @param memberId    the member this assignment is for
 * @param generation  increases with every rebalance of the group
 * @param memberCount how many members the group has now
 * @param shardIds    the shards this member reads, in shard-id order (may be empty)
 * @param checkpoints the last checkpoint of each assigned shard that has one: resume after it
 */
public record GroupAssignment(String stream, String group, String memberId, long generation, int memberCount,
                              List<String> shardIds, Map<String, String> checkpoints) {

    public GroupAssignment {
        shardIds = List.copyOf(shardIds);
        checkpoints = Collections.unmodifiableMap(new TreeMap<>(checkpoints));
    }
}
