package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.eddy.platform.PutResult;

import java.io.IOException;
import java.util.List;

/**
 * The PutRecords answer, streamed: {@code FailedRecordCount}, {@code Records} (per entry either
 * {@code ErrorCode}/{@code ErrorMessage} or {@code SequenceNumber}/{@code ShardId}), {@code EncryptionType}.
 * Immutable.
 */
final class PutRecordsReply extends StreamedReply {

    private final List<PutResult> results;

    PutRecordsReply(List<PutResult> results) {
        this.results = results;
    }

    @Override
    int sizeHint(WireFormat format) {
        return 96 + results.size() * 96;
    }

    @Override
    void write(JsonGenerator gen) throws IOException {
        int failed = 0;
        for (PutResult r : results) {
            if (r.failed()) {
                failed++;
            }
        }
        gen.writeStartObject();
        gen.writeFieldName("FailedRecordCount");
        gen.writeNumber(failed);
        gen.writeFieldName("Records");
        gen.writeStartArray(results, results.size());
        for (PutResult r : results) {
            gen.writeStartObject();
            if (r.failed()) {
                gen.writeStringField("ErrorCode", r.errorCode());
                gen.writeStringField("ErrorMessage", r.errorMessage());
            } else {
                gen.writeStringField("SequenceNumber", r.sequenceNumber());
                gen.writeStringField("ShardId", r.shardId());
            }
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeStringField("EncryptionType", "NONE");
        gen.writeEndObject();
    }
}
