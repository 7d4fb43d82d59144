package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.Shard;
import dev.eddy.platform.StreamDescription;

import java.math.BigInteger;

/** Builders of the Kinesis response shapes as Jackson trees. Stateless. */
final class Shapes {

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Shapes() {
    }

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ObjectNode shard(Shard shard) {
        ObjectNode node = object();
        node.put("ShardId", shard.shardId());
        if (shard.parentShardId() != null) {
            node.put("ParentShardId", shard.parentShardId());
        }
        if (shard.adjacentParentShardId() != null) {
            node.put("AdjacentParentShardId", shard.adjacentParentShardId());
        }
        node.set("HashKeyRange", hashKeyRange(shard.startingHashKey(), shard.endingHashKey()));
        ObjectNode sequence = node.putObject("SequenceNumberRange");
        sequence.put("StartingSequenceNumber", shard.startingSequenceNumber());
        if (shard.endingSequenceNumber() != null) {
            sequence.put("EndingSequenceNumber", shard.endingSequenceNumber());
        }
        return node;
    }

    static ObjectNode childShard(ChildShard child) {
        ObjectNode node = object();
        node.put("ShardId", child.shardId());
        ArrayNode parents = node.putArray("ParentShards");
        child.parentShards().forEach(parents::add);
        node.set("HashKeyRange", hashKeyRange(child.startingHashKey(), child.endingHashKey()));
        return node;
    }

    static ObjectNode hashKeyRange(BigInteger start, BigInteger end) {
        ObjectNode node = object();
        node.put("StartingHashKey", start.toString());
        node.put("EndingHashKey", end.toString());
        return node;
    }

    static ObjectNode streamModeDetails(StreamDescription stream) {
        ObjectNode node = object();
        node.put("StreamMode", stream.mode().name());
        return node;
    }

    static ArrayNode enhancedMonitoring() {
        ArrayNode list = NODES.arrayNode();
        list.addObject().putArray("ShardLevelMetrics");
        return list;
    }

    static void timestamp(ObjectNode node, String name, long epochMillis) {
        node.putPOJO(name, new WireTimestamp(epochMillis));
    }
}
