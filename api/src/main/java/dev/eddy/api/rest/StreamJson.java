package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.Shard;
import dev.eddy.platform.StreamDescription;

import java.time.Instant;

/**
 * The JSON shapes of streams and shards. Stateless.
 */
final class StreamJson {

    private StreamJson() {
    }

    /** A stream without its shards (for lists). */
    static ObjectNode summary(StreamDescription d) {
        ObjectNode out = RestJson.object();
        out.put("name", d.name());
        out.put("arn", d.arn());
        out.put("status", d.status().name());
        out.put("mode", d.mode().name());
        out.put("shardCount", d.shards().size());
        out.put("openShardCount", d.openShardCount());
        out.put("retentionHours", d.retentionHours());
        out.put("createdAt", Instant.ofEpochMilli(d.createdMillis()).toString());
        return out;
    }

    /** A stream with its shards. */
    static ObjectNode detail(StreamDescription d) {
        ObjectNode out = summary(d);
        out.put("consumerCount", d.consumerCount());
        ArrayNode shards = out.putArray("shards");
        for (Shard s : d.shards()) {
            shards.add(shard(s));
        }
        return out;
    }

    static ObjectNode shard(Shard s) {
        ObjectNode out = RestJson.object();
        out.put("shardId", s.shardId());
        out.put("parentShardId", s.parentShardId());
        out.put("adjacentParentShardId", s.adjacentParentShardId());
        out.put("open", s.isOpen());
        ObjectNode hash = out.putObject("hashKeyRange");
        hash.put("startingHashKey", s.startingHashKey().toString());
        hash.put("endingHashKey", s.endingHashKey().toString());
        ObjectNode seq = out.putObject("sequenceNumberRange");
        seq.put("startingSequenceNumber", s.startingSequenceNumber());
        seq.put("endingSequenceNumber", s.endingSequenceNumber());
        return out;
    }
}
