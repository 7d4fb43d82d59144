package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.math.BigInteger;
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

    Future<Reply> putRecord(PutRecordRequest request) {
        byte[] data = request.data();
        String key = request.partitionKey();
        String hashKey = request.explicitHashKey();
        String ordering = request.ordering();
        Validator v = new Validator()
                .required("data", data).blobLength("data", data, MAX_RECORD_BYTES)
                .required("partitionKey", key).length("partitionKey", key, 1, 256)
                .pattern("explicitHashKey", hashKey, Validator.Patterns.HASH_KEY)
                .pattern("sequenceNumberForOrdering", ordering, Validator.Patterns.SEQUENCE_NUMBER);
        String stream = StreamRef.resolve(request.streamName(), request.streamArn(), request.streamId(), streams, v);
        checkRecord(key, hashKey, data, "");
        return streams.putRecord(stream, PutEntry.of(key, hashKey, data)).map(result -> {
            ObjectNode out = Shapes.object();
            out.put("ShardId", result.shardId());
            out.put("SequenceNumber", result.sequenceNumber());
            out.put("EncryptionType", "NONE");
            return Reply.of(out);
        });
    }

    Future<Reply> putRecords(PutRecordsRequest request) {
        List<PutEntry> entries = request.records();
        Validator v = new Validator()
                .required("records", entries)
                .size("records", entries == null ? null : entries.size(), 1, 500);
        if (entries == null) {
            entries = List.of();
        }
        for (int i = 0; i < entries.size(); i++) {
            String path = "records." + (i + 1) + ".member";
            PutEntry e = entries.get(i);
            v.required(path + ".data", e.data()).blobLength(path + ".data", e.data(), MAX_RECORD_BYTES)
                    .required(path + ".partitionKey", e.partitionKey())
                    .length(path + ".partitionKey", e.partitionKey(), 1, 256)
                    .pattern(path + ".explicitHashKey", e.explicitHashKey(), Validator.Patterns.HASH_KEY);
        }
        String stream = StreamRef.resolve(request.streamName(), request.streamArn(), request.streamId(), streams, v);
        long total = 0;
        for (int i = 0; i < entries.size(); i++) {
            PutEntry e = entries.get(i);
            total += checkRecord(e.partitionKey(), e.explicitHashKey(), e.data(), " (record " + (i + 1) + ")");
        }
        if (total > MAX_PUT_RECORDS_BYTES) {
            throw KinesisException.invalidArgument("Records size exceeds 5 MB limit: the partition keys and data of "
                    + entries.size() + " records total " + total + " bytes, the limit is " + MAX_PUT_RECORDS_BYTES + ".");
        }
        return streams.putRecords(stream, entries).map(PutRecordsReply::new);
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

    Future<Reply> getRecords(Params p) {
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
            return new GetRecordsReply(result);
        });
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
