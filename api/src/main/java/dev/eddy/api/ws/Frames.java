package dev.eddy.api.ws;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.eddy.platform.GroupAssignment;
import dev.eddy.platform.Record;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Encodes the server's JSON text frames ({@code shards}, {@code event}, {@code heartbeat}, {@code checkpoint},
 * {@code error}). Stateless and thread-safe.
 */
final class Frames {

    private static final JsonFactory JSON = new JsonFactory();

    private Frames() {
    }

    /** An {@code event} frame; {@code data} is the record's JSON when its bytes are one JSON value. */
    static String event(String stream, String shardId, Record r) {
        StringWriter out = new StringWriter(256 + r.data().length);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "event");
            g.writeStringField("stream", stream);
            g.writeStringField("shardId", shardId);
            g.writeStringField("sequenceNumber", r.sequenceNumber());
            g.writeStringField("partitionKey", r.partitionKey());
            g.writeNumberField("version", r.version());
            g.writeStringField("id", r.eventId());
            g.writeStringField("type", r.eventType());
            g.writeObjectFieldStart("metadata");
            for (Map.Entry<String, String> e : r.metadata().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            String json = jsonText(r.data());
            if (json != null) {
                g.writeFieldName("data");
                g.writeRawValue(json);
            } else {
                g.writeStringField("dataBase64", Base64.getEncoder().encodeToString(r.data()));
            }
            g.writeStringField("arrivalTimestamp", Instant.ofEpochMilli(r.arrivalMillis()).toString());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** A {@code heartbeat} frame with how far each shard's reader is behind its newest record. */
    static String heartbeat(Map<String, Long> millisBehindLatest, long nowMillis) {
        StringWriter out = new StringWriter(64 + 48 * millisBehindLatest.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "heartbeat");
            g.writeStringField("timestamp", Instant.ofEpochMilli(nowMillis).toString());
            g.writeObjectFieldStart("millisBehindLatest");
            for (Map.Entry<String, Long> e : millisBehindLatest.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The {@code shards} frame sent once every shard's reader is positioned: events may follow. */
    static String shards(String stream, List<String> shardIds) {
        StringWriter out = new StringWriter(64 + 32 * shardIds.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "shards");
            g.writeStringField("stream", stream);
            g.writeArrayFieldStart("shards");
            for (String id : shardIds) {
                g.writeString(id);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * The {@code shards} frame of a group member after a rebalance: its shards (events of other shards stop
     * before this frame, events of new ones follow it), the generation, and where each shard resumes.
     */
    static String groupShards(GroupAssignment a) {
        StringWriter out = new StringWriter(160 + 96 * a.shardIds().size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "shards");
            g.writeStringField("stream", a.stream());
            g.writeArrayFieldStart("shards");
            for (String id : a.shardIds()) {
                g.writeString(id);
            }
            g.writeEndArray();
            g.writeStringField("group", a.group());
            g.writeStringField("memberId", a.memberId());
            g.writeNumberField("generation", a.generation());
            g.writeNumberField("members", a.memberCount());
            g.writeObjectFieldStart("checkpoints");
            for (Map.Entry<String, String> e : a.checkpoints().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The {@code checkpoint} frame: the group's checkpoint for the shard is durable. */
    static String checkpointed(String shardId, String sequenceNumber) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "checkpoint");
            g.writeStringField("shardId", shardId);
            g.writeStringField("sequenceNumber", sequenceNumber);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** An {@code error} frame with a stable code and a human message. */
    static String error(String code, String message) {
        StringWriter out = new StringWriter(64 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("frame", "error");
            g.writeStringField("code", code);
            g.writeStringField("message", message);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The bytes as text when they are valid UTF-8 holding exactly one JSON value, else {@code null}. */
    static String jsonText(byte[] data) {
        if (data.length == 0) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        try (JsonParser p = JSON.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            if (first.isStructStart()) {
                p.skipChildren();
            }
            return p.nextToken() == null ? text : null;
        } catch (IOException e) {
            return null;
        }
    }
}
