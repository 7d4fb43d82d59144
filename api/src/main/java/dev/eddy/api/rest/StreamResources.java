package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.StreamDescription;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/streams} and {@code /v1/streams/{stream}}: create, list, describe and delete streams.
 * Thread-safe; never blocks.
 */
final class StreamResources {

    private static final Set<String> CREATE_MEMBERS = Set.of("name", "shardCount");

    private final Streams streams;

    StreamResources(Streams streams) {
        this.streams = streams;
    }

    /** {@code POST /v1/streams} with {@code {"name": "...", "shardCount": n}} (shardCount defaults to 1). */
    Future<Answer> create(JsonNode body) {
        if (!body.isObject()) {
            throw invalid("The body must be a JSON object {\"name\": \"...\", \"shardCount\": n}.");
        }
        for (Map.Entry<String, JsonNode> member : body.properties()) {
            if (!CREATE_MEMBERS.contains(member.getKey())) {
                throw invalid("The body has an unknown member \"" + QueryParams.abbreviate(member.getKey())
                        + "\"; expected name, shardCount.");
            }
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual()) {
            throw invalid("The body needs \"name\": the stream name, 1 to 128 of a-z A-Z 0-9 _ . -");
        }
        JsonNode count = body.get("shardCount");
        int shardCount = 1;
        if (count != null && !count.isNull()) {
            if (!count.isIntegralNumber() || !count.canConvertToInt() || count.intValue() < 1) {
                throw invalid("shardCount must be an integer >= 1, got " + QueryParams.abbreviate(count.toString()) + ".");
            }
            shardCount = count.intValue();
        }
        String stream = name.textValue();
        return streams.createStream(new CreateStreamRequest(stream, shardCount, StreamMode.PROVISIONED, Map.of()))
                .compose(v -> streams.describeStream(stream))
                .map(d -> Answer.created(StreamJson.detail(d), RestHandler.PREFIX + "/streams/" + d.name()));
    }

    /** {@code GET /v1/streams}: every stream, by name, without shards. */
    Future<Answer> list() {
        return streams.listStreams().map(all -> {
            ObjectNode out = RestJson.object();
            ArrayNode list = out.putArray("streams");
            for (StreamDescription d : all) {
                list.add(StreamJson.summary(d));
            }
            return Answer.ok(out);
        });
    }

    /** {@code GET /v1/streams/{stream}}: the stream with its shards. */
    Future<Answer> describe(String stream) {
        return streams.describeStream(stream).map(d -> Answer.ok(StreamJson.detail(d)));
    }

    /** {@code DELETE /v1/streams/{stream}}: 202, the stream is DELETING and goes away in the background. */
    Future<Answer> delete(String stream, boolean enforceConsumerDeletion) {
        return streams.deleteStream(stream, enforceConsumerDeletion).map(v -> {
            ObjectNode out = RestJson.object();
            out.put("name", stream);
            out.put("status", "DELETING");
            return Answer.accepted(out);
        });
    }

    private static Problem invalid(String detail) {
        return new Problem(ProblemType.INVALID_ARGUMENT, detail);
    }
}
