package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.GroupDescription;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.util.Map;

/**
 * {@code /v1/streams/{stream}/groups} and {@code /v1/streams/{stream}/groups/{group}}: the consumer groups of
 * a stream with their members, assignments and checkpoints; deleting a group forgets its checkpoints.
 * Thread-safe; never blocks.
 */
final class GroupResources {

    private final Streams streams;

    GroupResources(Streams streams) {
        this.streams = streams;
    }

    /** {@code GET /v1/streams/{stream}/groups}. */
    Future<Answer> list(String stream) {
        return streams.consumerGroups().list(stream).map(all -> {
            ObjectNode out = RestJson.object();
            ArrayNode groups = out.putArray("groups");
            all.forEach(d -> groups.add(json(d)));
            return Answer.ok(out);
        });
    }

    /** {@code GET /v1/streams/{stream}/groups/{group}}. */
    Future<Answer> describe(String stream, String group) {
        return streams.consumerGroups().describe(stream, group).map(d -> Answer.ok(json(d)));
    }

    /** {@code DELETE /v1/streams/{stream}/groups/{group}}: 204; 409 while members are connected. */
    Future<Answer> delete(String stream, String group) {
        return streams.consumerGroups().delete(stream, group).map(v -> Answer.noContent());
    }

    private static ObjectNode json(GroupDescription d) {
        ObjectNode out = RestJson.object();
        out.put("stream", d.stream());
        out.put("group", d.group());
        out.put("generation", d.generation());
        ArrayNode members = out.putArray("members");
        for (GroupDescription.Member m : d.members()) {
            ObjectNode member = members.addObject();
            member.put("memberId", m.memberId());
            ArrayNode shards = member.putArray("shards");
            m.shardIds().forEach(shards::add);
        }
        ObjectNode checkpoints = out.putObject("checkpoints");
        for (Map.Entry<String, String> e : d.checkpoints().entrySet()) {
            checkpoints.put(e.getKey(), e.getValue());
        }
        return out;
    }
}
