package dev.eddy.platform;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A consumer group as an operator sees it. Immutable.
 *
 * @param stream      the stream
 * @param group       the group
 * @param generation  the current generation (0 when no member has joined since the server started)
 * @param members     the connected members in join order, each with its shards
 * @param checkpoints the last checkpoint per shard id, sorted by shard id
 */
public record GroupDescription(String stream, String group, long generation, List<Member> members,
                               Map<String, String> checkpoints) {

    public GroupDescription {
        members = List.copyOf(members);
        checkpoints = Collections.unmodifiableMap(new TreeMap<>(checkpoints));
    }

    /**
     * A connected member.
     *
     * @param memberId the member's id
     * @param shardIds the shards it reads
     */
    public record Member(String memberId, List<String> shardIds) {
        public Member {
            shardIds = List.copyOf(shardIds);
        }
    }
}
