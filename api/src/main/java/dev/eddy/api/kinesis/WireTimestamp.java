package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * A timestamp in a response tree that writes itself as each format wants it: in JSON epoch seconds with a
 * millisecond fraction ({@code 1732530000.123}); in CBOR tag 1 and an integer of epoch milliseconds,
 * which is what the AWS SDKs' CBOR protocol uses (not RFC 8949's seconds). Immutable.
 *
 * @param epochMillis the instant, epoch milliseconds
 */
public record WireTimestamp(long epochMillis) implements JsonSerializable {

    /** CBOR tag 1: epoch-based date/time. */
    private static final int EPOCH_TAG = 1;

    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
        write(gen, epochMillis);
    }

    /** Writes a timestamp value, as a member of a response tree does, without the tree. */
    static void write(JsonGenerator gen, long epochMillis) throws IOException {
        if (gen instanceof CBORGenerator cbor) {
            cbor.writeTag(EPOCH_TAG);
            cbor.writeNumber(epochMillis);
        } else {
            gen.writeNumber(BigDecimal.valueOf(epochMillis, 3));
        }
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
            throws IOException {
        serialize(gen, serializers);
    }
}
