package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.Record;

import java.io.IOException;

/**
 * The GetRecords answer, streamed: {@code Records} (SequenceNumber, ApproximateArrivalTimestamp, Data,
 * PartitionKey), {@code NextShardIterator} unless the shard is read to its end, {@code MillisBehindLatest},
 * {@code ChildShards} when there are any. Immutable.
 */
final class GetRecordsReply extends StreamedReply {

    private final GetRecordsResult result;

    GetRecordsReply(GetRecordsResult result) {
        this.result = result;
    }

    @Override
    int sizeHint(WireFormat format) {
        long size = 256;
        for (Record r : result.records()) {
            size += 96 + blobSize(format, r.data().length) + r.partitionKey().length() * 3L;
        }
        return (int) Math.min(size, Integer.MAX_VALUE - 16);
    }

    /** One Kinesis record as GetRecords and SubscribeToShardEvent carry it. */
    static void writeRecord(JsonGenerator gen, Record r) throws IOException {
        gen.writeStartObject();
        gen.writeStringField("SequenceNumber", r.sequenceNumber());
        gen.writeFieldName("ApproximateArrivalTimestamp");
        WireTimestamp.write(gen, r.arrivalMillis());
        gen.writeFieldName("Data");
        gen.writeBinary(r.data());
        gen.writeStringField("PartitionKey", r.partitionKey());
        gen.writeEndObject();
    }

    @Override
    void write(JsonGenerator gen) throws IOException {
        gen.writeStartObject();
        gen.writeFieldName("Records");
        gen.writeStartArray(result.records(), result.records().size());
        for (Record r : result.records()) {
            writeRecord(gen, r);
        }
        gen.writeEndArray();
        if (result.nextShardIterator() != null) {
            gen.writeStringField("NextShardIterator", result.nextShardIterator());
        }
        gen.writeFieldName("MillisBehindLatest");
        gen.writeNumber(result.millisBehindLatest());
        if (!result.childShards().isEmpty()) {
            // Rare (a closed shard read to its end): written from the same tree as before.
            gen.writeFieldName("ChildShards");
            gen.writeStartArray(result.childShards(), result.childShards().size());
            for (ChildShard child : result.childShards()) {
                gen.writeTree(Shapes.childShard(child));
            }
            gen.writeEndArray();
        }
        gen.writeEndObject();
    }
}
