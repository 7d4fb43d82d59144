package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.ShardIteratorRequest;

import java.io.IOException;

/**
 * A request body read as a Jackson tree: the way every action but the streamed ones (and every body that
 * is not plain) is read. Stateless.
 */
final class BodyTree {

    private BodyTree() {
    }

    /** Parses the body to a tree; anything but one object is a {@code SerializationException}. */
    static ObjectNode parse(WireFormat format, byte[] body, int length) {
        if (length == 0) {
            return Shapes.object(); // Kinesis treats an empty body as an empty request
        }
        JsonNode node;
        try {
            node = format.mapper().readTree(body, 0, length);
        } catch (JacksonException e) {
            throw KinesisException.serialization("Malformed " + format + " request body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw KinesisException.serialization("Unreadable " + format + " request body: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            return Shapes.object();
        }
        if (!node.isObject()) {
            throw KinesisException.serialization("Expected the request body to be a " + format + " object, found "
                    + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    /** The stream a request names (StreamName, StreamARN or a shard iterator's), or {@code null}. */
    static String streamOf(ObjectNode tree) {
        JsonNode name = tree.get("StreamName");
        if (name != null && name.isTextual()) {
            return name.textValue();
        }
        JsonNode arn = tree.get("StreamARN");
        if (arn != null && arn.isTextual()) {
            return streamOf(null, arn.textValue());
        }
        JsonNode iterator = tree.get("ShardIterator");
        if (iterator != null && iterator.isTextual()) {
            return ShardIteratorRequest.streamOfIterator(iterator.textValue());
        }
        return null;
    }

    /** The stream named by a StreamName or else a StreamARN (either may be null), for the metrics. */
    static String streamOf(String name, String arn) {
        if (name != null) {
            return name;
        }
        if (arn != null) {
            int at = arn.lastIndexOf(":stream/");
            return at < 0 ? null : arn.substring(at + ":stream/".length());
        }
        return null;
    }
}
