package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;

import java.time.Instant;
import java.util.Map;

/**
 * The JSON shapes of appended events, history events and shard records. Stateless.
 */
final class EventJson {

    private EventJson() {
    }

    /** One appended event: {@code id, sequenceNumber, shardId, version}. */
    static ObjectNode appended(PutEntry entry, PutResult result) {
        ObjectNode out = RestJson.object();
        out.put("id", entry.eventId());
        out.put("sequenceNumber", result.sequenceNumber());
        out.put("shardId", result.shardId());
        out.put("version", result.version());
        return out;
    }

    /** One event of an aggregate's history. */
    static ObjectNode historyEvent(String shardId, Record record) {
        ObjectNode out = RestJson.object();
        out.put("id", record.eventId());
        out.put("version", record.version());
        out.put("sequenceNumber", record.sequenceNumber());
        out.put("shardId", shardId);
        body(record, out);
        return out;
    }

    /** One record of a shard. */
    static ObjectNode shardRecord(Record record) {
        ObjectNode out = RestJson.object();
        out.put("sequenceNumber", record.sequenceNumber());
        out.put("partitionKey", record.partitionKey());
        out.put("version", record.version());
        out.put("id", record.eventId());
        body(record, out);
        return out;
    }

    private static void body(Record record, ObjectNode out) {
        out.put("type", record.eventType());
        ObjectNode metadata = out.putObject("metadata");
        for (Map.Entry<String, String> e : record.metadata().entrySet()) {
            metadata.put(e.getKey(), e.getValue());
        }
        EventData.toResponse(record.data(), out);
        out.put("arrivalTimestamp", Instant.ofEpochMilli(record.arrivalMillis()).toString());
    }
}
