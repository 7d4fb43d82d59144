package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.eddy.api.kinesis.StreamingReads.NotPlain;

import java.io.IOException;

import static dev.eddy.api.kinesis.StreamingReads.blob;
import static dev.eddy.api.kinesis.StreamingReads.skip;
import static dev.eddy.api.kinesis.StreamingReads.string;
import static dev.eddy.api.kinesis.StreamingReads.value;

/**
 * Decodes a PutRecord body with the format's streaming parser, no tree. Handles the plain shape only: for
 * anything else it answers {@code null} and the caller reads the body as a tree, which reports the problem
 * exactly as before. Stateless.
 */
final class PutRecordDecoder {

    private PutRecordDecoder() {
    }

    /** The request, or {@code null} when the body must go the tree way. */
    static PutRecordRequest decode(WireFormat format, byte[] body, int length) {
        if (length == 0) {
            return null;
        }
        try (JsonParser p = format.mapper().createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            byte[] data = null;
            String key = null;
            String hashKey = null;
            String ordering = null;
            String name = null;
            String arn = null;
            String id = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = value(p);
                switch (field) {
                    case "Data" -> data = blob(p, value);
                    case "PartitionKey" -> key = string(p, value);
                    case "ExplicitHashKey" -> hashKey = string(p, value);
                    case "SequenceNumberForOrdering" -> ordering = string(p, value);
                    case "StreamName" -> name = string(p, value);
                    case "StreamARN" -> arn = string(p, value);
                    case "StreamId" -> id = string(p, value);
                    default -> skip(p, value);
                }
            }
            if (t != JsonToken.END_OBJECT || (name == null && arn == null)) {
                return null; // truncated, or no stream named (the tree path labels the metrics and the error)
            }
            return new PutRecordRequest(data, key, hashKey, ordering, name, arn, id);
        } catch (IOException | NotPlain e) {
            return null;
        }
    }
}
