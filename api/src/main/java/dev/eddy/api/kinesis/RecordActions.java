package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The record-level Kinesis actions: PutRecord, PutRecords, GetShardIterator, GetRecords. Every limit is
 * checked here, before the platform is called, so a rejected request changes nothing. Thread-safe.
 */
final class RecordActions {

    private final StreamMetrics metrics;

    /** The stream's maximum record size (partition key + data); Kinesis's default. */
    static final int MAX_RECORD_BYTES = 1024 * 1024;
    /** PutRecords's limit on the sum of partition keys and data. */
    static final int MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;
    static final BigInteger HASH_KEY_LIMIT = BigInteger.ONE.shiftLeft(128);

    private final Streams streams;

    RecordActions(Streams streams, StreamMetrics metrics) {
        this.metrics = metrics;
        this.streams = streams;
    }

    Future<ObjectNode> putRecord(Params p) {
        byte[] data = p.blob("Data");
        String key = p.string("PartitionKey");
        String hashKey = p.string("ExplicitHashKey");
        String ordering = p.string("SequenceNumberForOrdering");
        Validator v = new Validator()
                .required("data", data).blobLength("data", data, MAX_RECORD_BYTES)
                .required("partitionKey", key).length("partitionKey", key, 1, 256)
                .pattern("explicitHashKey", hashKey, Validator.Patterns.HASH_KEY)
                .pattern("sequenceNumberForOrdering", ordering, Validator.Patterns.SEQUENCE_NUMBER);
        String stream = StreamRef.resolve(p, streams, v);
        checkRecord(key, hashKey, data, "");
        return streams.putRecord(stream, PutEntry.of(key, hashKey, data)).map(result -> {
            ObjectNode out = Shapes.object();
            out.put("ShardId", result.shardId());
            out.put("SequenceNumber", result.sequenceNumber());
            out.put("EncryptionType", "NONE");
            return out;
        });
    }

    Future<ObjectNode> putRecords(Params p) {
        ArrayNode records = p.list("Records");
        Validator v = new Validator()
                .required("records", records)
                .size("records", records == null ? null : records.size(), 1, 500);
        List<PutEntry> entries = new ArrayList<>(records == null ? 0 : records.size());
        List<String> keys = new ArrayList<>(entries.size());
        if (records != null) {
            for (int i = 0; i < records.size(); i++) {
                String path = "records." + (i + 1) + ".member";
                Params r = p.element(records.get(i), path);
                byte[] data = r.blob("Data");
                String key = r.string("PartitionKey");
                String hashKey = r.string("ExplicitHashKey");
                v.required(path + ".data", data).blobLength(path + ".data", data, MAX_RECORD_BYTES)
                        .required(path + ".partitionKey", key).length(path + ".partitionKey", key, 1, 256)
                        .pattern(path + ".explicitHashKey", hashKey, Validator.Patterns.HASH_KEY);
                entries.add(PutEntry.of(key, hashKey, data));
            }
        }
        String stream = StreamRef.resolve(p, streams, v);
        long total = 0;
        for (int i = 0; i < entries.size(); i++) {
            PutEntry e = entries.get(i);
            total += checkRecord(e.partitionKey(), e.explicitHashKey(), e.data(), " (record " + (i + 1) + ")");
        }
        if (total > MAX_PUT_RECORDS_BYTES) {
            throw KinesisException.invalidArgument("Records size exceeds 5 MB limit: the partition keys and data of "
                    + entries.size() + " records total " + total + " bytes, the limit is " + MAX_PUT_RECORDS_BYTES + ".");
        }
        return streams.putRecords(stream, entries).map(results -> {
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
        });
    }

    Future<ObjectNode> getShardIterator(Params p) {
        String shardId = p.string("ShardId");
        String type = p.string("ShardIteratorType");
        String sequence = p.string("StartingSequenceNumber");
        Long timestamp = p.timestampMillis("Timestamp");
        Validator v = new Validator()
                .required("shardId", shardId).shardId("shardId", shardId)
                .required("shardIteratorType", type).oneOf("shardIteratorType", type, IteratorType.class)
                .pattern("startingSequenceNumber", sequence, Validator.Patterns.SEQUENCE_NUMBER);
        String stream = StreamRef.resolve(p, streams, v);
        IteratorType iteratorType = IteratorType.valueOf(type);
        switch (iteratorType) {
            case AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER -> {
                if (sequence == null) {
                    throw KinesisException.invalidArgument("Must specify a StartingSequenceNumber for the "
                            + iteratorType + " ShardIteratorType.");
                }
                if (timestamp != null) {
                    throw KinesisException.invalidArgument("Must not specify a Timestamp for the " + iteratorType
                            + " ShardIteratorType.");
                }
            }
            case AT_TIMESTAMP -> {
                if (timestamp == null) {
                    throw KinesisException.invalidArgument(
                            "Must specify a Timestamp for the AT_TIMESTAMP ShardIteratorType.");
                }
                if (sequence != null) {
                    throw KinesisException.invalidArgument(
                            "Must not specify a StartingSequenceNumber for the AT_TIMESTAMP ShardIteratorType.");
                }
            }
            default -> {
                if (sequence != null || timestamp != null) {
                    throw KinesisException.invalidArgument("Must specify neither a StartingSequenceNumber nor a "
                            + "Timestamp for the " + iteratorType + " ShardIteratorType.");
                }
            }
        }
        return streams.getShardIterator(new ShardIteratorRequest(stream, shardId, iteratorType, sequence, timestamp))
                .map(iterator -> {
                    ObjectNode out = Shapes.object();
                    out.put("ShardIterator", iterator);
                    return out;
                });
    }

    Future<ObjectNode> getRecords(Params p) {
        String iterator = p.string("ShardIterator");
        Integer limit = p.integer("Limit");
        new Validator()
                .required("shardIterator", iterator).length("shardIterator", iterator, 1, 512)
                .range("limit", limit, 1, 10000)
                .streamArn("streamARN", p.string("StreamARN"))
                .streamId("streamId", p.string("StreamId"))
                .check();
        return streams.getRecords(iterator, limit == null ? 10000 : limit).map(result -> {
            metrics.delivered(result, "get_records");
            return getRecordsResponse(result);
        });
    }

    static ObjectNode getRecordsResponse(GetRecordsResult result) {
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

    /**
     * The semantic limits of one record, after the constraints passed: partition key + data within the
     * maximum record size, explicit hash key within 0..2^128-1. Returns the record's size in bytes.
     */
    private static long checkRecord(String key, String hashKey, byte[] data, String where) {
        long size = utf8Length(key) + data.length;
        if (size > MAX_RECORD_BYTES) {
            throw KinesisException.invalidArgument("Record size exceeds the maximum record size of " + MAX_RECORD_BYTES
                    + " bytes" + where + ": partition key and data total " + size + " bytes.");
        }
        if (hashKey != null && new BigInteger(hashKey).compareTo(HASH_KEY_LIMIT) >= 0) {
            throw KinesisException.invalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                    + "[0, 2^128-1]. Specified value was " + hashKey + where + ".");
        }
        return size;
    }

    /** UTF-8 length without encoding (this runs for every record of every put). */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
