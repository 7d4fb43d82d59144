package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;

import java.util.List;

/**
 * The PutRecords and GetRecords response trees exactly as the server built them before the answers were
 * streamed: the reference the streamed replies are checked against. Stateless.
 */
final class TreeReference {

    private TreeReference() {
    }

    static ObjectNode putRecords(List<PutResult> results) {
        ObjectNode out = Shapes.object();
        int failed = 0;
        ArrayNode list = Shapes.NODES.arrayNode(results.size());
        for (PutResult r : results) {
            ObjectNode entry = list.addObject();
            if (r.failed()) {
                failed++;
                entry.put("ErrorCode", r.errorCode());
                entry.put("ErrorMessage", r.errorMessage());
            } else {
                entry.put("SequenceNumber", r.sequenceNumber());
                entry.put("ShardId", r.shardId());
            }
        }
        out.put("FailedRecordCount", failed);
        out.set("Records", list);
        out.put("EncryptionType", "NONE");
        return out;
    }

    static ObjectNode getRecords(GetRecordsResult result) {
        ObjectNode out = Shapes.object();
        ArrayNode list = Shapes.NODES.arrayNode(result.records().size());
        for (Record r : result.records()) {
            ObjectNode node = list.addObject();
            node.put("SequenceNumber", r.sequenceNumber());
            Shapes.timestamp(node, "ApproximateArrivalTimestamp", r.arrivalMillis());
            node.set("Data", BinaryNode.valueOf(r.data()));
            node.put("PartitionKey", r.partitionKey());
        }
        out.set("Records", list);
        if (result.nextShardIterator() != null) {
            out.put("NextShardIterator", result.nextShardIterator());
        }
        out.put("MillisBehindLatest", result.millisBehindLatest());
        if (!result.childShards().isEmpty()) {
            ArrayNode children = out.putArray("ChildShards");
            for (ChildShard child : result.childShards()) {
                children.add(Shapes.childShard(child));
            }
        }
        return out;
    }
}
