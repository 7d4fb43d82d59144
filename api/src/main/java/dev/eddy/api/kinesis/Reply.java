package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;

/**
 * The body of a successful answer, encoded on demand in the request's wire format. Most actions answer
 * with a Jackson tree; the hot ones ({@link PutRecordsReply}, {@link GetRecordsReply}) stream. Immutable.
 */
@FunctionalInterface
interface Reply {

    Buffer encode(WireFormat format) throws IOException;

    /** A reply written from a response tree, exactly as {@code ObjectMapper.writeValueAsBytes} writes it. */
    static Reply of(ObjectNode tree) {
        return format -> Buffer.buffer(format.mapper().writeValueAsBytes(tree));
    }
}
