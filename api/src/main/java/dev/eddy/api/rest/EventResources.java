package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.HistoryEvent;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.util.List;

/**
 * {@code /v1/streams/{stream}/keys/{key}/events}: appends to one aggregate with an expected version, and
 * the aggregate's history. Thread-safe; never blocks.
 */
final class EventResources {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;

    private final Streams streams;

    EventResources(Streams streams) {
        this.streams = streams;
    }

    /**
     * {@code POST}: appends all events atomically if the aggregate is at the expected version. 201 with
     * each event's sequence number, shard and version; 200 with the original results when every event id
     * was already stored (an idempotent retry, nothing appended).
     */
    Future<Answer> append(String stream, String key, JsonNode body) {
        AppendRequest request = AppendRequest.parse(body, key);
        return streams.appendEvents(stream, key, request.expected(), request.events()).map(appended -> {
            ObjectNode out = RestJson.object();
            ArrayNode events = out.putArray("events");
            for (int i = 0; i < appended.results().size(); i++) {
                events.add(EventJson.appended(request.events().get(i), appended.results().get(i)));
            }
            return appended.duplicate() ? Answer.ok(out) : Answer.created(out, null);
        });
    }

    /**
     * {@code GET ?fromVersion=0&limit=100}: the events with version {@code >= fromVersion}, in order;
     * {@code nextVersion} is where the next page starts, or {@code null} when there is no more.
     */
    Future<Answer> history(String stream, String key, long fromVersion, int limit) {
        // One more than asked tells whether another page exists.
        return streams.readEvents(stream, key, fromVersion, limit + 1).map(read -> {
            List<HistoryEvent> page = read.size() > limit ? read.subList(0, limit) : read;
            ObjectNode out = RestJson.object();
            ArrayNode events = out.putArray("events");
            for (HistoryEvent e : page) {
                events.add(EventJson.historyEvent(e.shardId(), e.record()));
            }
            if (read.size() > limit) {
                out.put("nextVersion", page.get(page.size() - 1).record().version() + 1);
            } else {
                out.putNull("nextVersion");
            }
            return Answer.ok(out);
        });
    }
}
