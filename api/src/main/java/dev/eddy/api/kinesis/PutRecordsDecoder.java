package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.eddy.api.kinesis.StreamingReads.NotPlain;
import dev.eddy.platform.PutEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.eddy.api.kinesis.StreamingReads.blob;
import static dev.eddy.api.kinesis.StreamingReads.skip;
import static dev.eddy.api.kinesis.StreamingReads.string;
import static dev.eddy.api.kinesis.StreamingReads.value;

/**
 * Decodes a PutRecords body with the format's streaming parser straight into {@link PutEntry} objects, no
 * tree. Handles the plain shape only: for anything else it answers {@code null} and the caller reads the
 * body as a tree, which reports the problem exactly as before. Stateless.
 */
final class PutRecordsDecoder {

    private PutRecordsDecoder() {
    }

    /** The request, or {@code null} when the body must go the tree way. */
    static PutRecordsRequest decode(WireFormat format, byte[] body, int length) {
        if (length == 0) {
            return null;
        }
        try (JsonParser p = format.mapper().createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            List<PutEntry> records = null;
            String name = null;
            String arn = null;
            String id = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = value(p);
                switch (field) {
                    case "Records" -> records = records(p, value);
                    case "StreamName" -> name = string(p, value);
                    case "StreamARN" -> arn = string(p, value);
                    case "StreamId" -> id = string(p, value);
                    default -> skip(p, value);
                }
            }
            if (t != JsonToken.END_OBJECT || (name == null && arn == null)) {
                return null; // truncated, or no stream named (the tree path labels the metrics and the error)
            }
            return new PutRecordsRequest(records, name, arn, id);
        } catch (IOException | NotPlain e) {
            return null;
        }
    }

    private static List<PutEntry> records(JsonParser p, JsonToken value) throws IOException, NotPlain {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_ARRAY) {
            throw NotPlain.INSTANCE;
        }
        List<PutEntry> records = new ArrayList<>(64);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw NotPlain.INSTANCE;
            }
            byte[] data = null;
            String key = null;
            String hashKey = null;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = value(p);
                switch (field) {
                    case "Data" -> data = blob(p, v);
                    case "PartitionKey" -> key = string(p, v);
                    case "ExplicitHashKey" -> hashKey = string(p, v);
                    default -> skip(p, v);
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw NotPlain.INSTANCE;
            }
            records.add(PutEntry.of(key, hashKey, data));
        }
        return records;
    }
}
