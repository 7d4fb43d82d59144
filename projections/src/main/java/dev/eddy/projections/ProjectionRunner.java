package dev.eddy.projections;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedBatch;
import dev.eddy.platform.FeedEnd;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.FeedShards;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.KeyValueStore;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One running projection: a verticle whose feeds (one per source stream, parents before children) deliver
 * records that it folds into per-key state with the definition's jq. Its position in every shard and all its
 * state are written together in one metadata put (at most every second, or every {@value #SAVE_EVERY_EVENTS}
 * events, and when it stops), so after a restart it resumes exactly after the events the saved state holds:
 * its feeds read the streams again from their start and skip every record at or before the saved position of
 * its shard. A reducer error stops only this projection, FAILED with the error and the offending record.
 *
 * <p>Folding and saving run on the verticle's context; {@link #describe}, {@link #state} and {@link #keys} may
 * be called from any thread.
 */
final class ProjectionRunner extends VerticleBase {

    static final String SNAPSHOTS = "projections.snapshots";

    /** Records asked of a feed at a time: bounds the work done on the event loop between yields. */
    static final int BATCH = 500;
    static final int SAVE_EVERY_EVENTS = 10_000;
    static final long SAVE_EVERY_MILLIS = 1000;
    /** The position of a shard none of whose records is folded (a closed shard a LATEST start skipped). */
    private static final String SKIP_ALL = "*";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Lifecycle as the API reports it (STARTING only until {@link #start} completes, so never seen outside). */
    enum Status { STARTING, RUNNING, FAILED }

    /** Why a projection stopped, and at which record (the record fields are null when no record caused it). */
    record Failure(String message, String stream, String shardId, String sequenceNumber) {
    }

    private final ProjectionDefinition definition;
    private final Streams streams;
    private final KeyValueStore metadata;
    private final ConcurrentSkipListMap<String, JsonNode> states = new ConcurrentSkipListMap<>();
    /** stream -> shard -> sequence number of the last record folded (or skipped as before the start). */
    private final Map<String, Map<String, String>> positions = new ConcurrentHashMap<>();
    /** The open feeds by source stream. */
    private final Map<String, Feed> feeds = new java.util.LinkedHashMap<>();

    private volatile Status status = Status.STARTING;
    private volatile Failure failure;
    private volatile long eventsProcessed;

    private boolean stopped;
    private boolean dirty;
    private boolean saving;
    private boolean saveAgain;
    private long eventsSinceSave;
    private long lastSave;
    private long timer = -1;
    private Promise<Void> saved;

    ProjectionRunner(ProjectionDefinition definition, Streams streams, KeyValueStore metadata) {
        this.definition = definition;
        this.streams = streams;
        this.metadata = metadata;
        for (String stream : definition.streams()) {
            positions.put(stream, new ConcurrentHashMap<>());
        }
    }

    ProjectionDefinition definition() {
        return definition;
    }

    @Override
    public Future<?> start() {
        lastSave = System.currentTimeMillis();
        timer = vertx.setPeriodic(SAVE_EVERY_MILLIS, id -> maybeSave(false));
        // Started once its feeds are positioned (a LATEST projection folds everything appended after that). A
        // projection that cannot start (its snapshot unreadable, a stream gone) reports FAILED: the deployment
        // itself succeeds, so it can be seen and deleted.
        return metadata.get(SNAPSHOTS, definition.name())
                .compose(bytes -> {
                    boolean fresh = bytes == null;
                    if (!fresh) {
                        restore(bytes);
                    }
                    if (failure != null) {
                        status = Status.FAILED;
                        return Future.succeededFuture();
                    }
                    return openFeeds(fresh);
                })
                .recover(e -> {
                    fail("The projection could not start: " + message(e), null, null, null);
                    return Future.succeededFuture();
                });
    }

    private Future<Void> openFeeds(boolean fresh) {
        boolean latest = fresh && definition.from() == ProjectionDefinition.From.LATEST;
        List<Future<Feed>> opened = new ArrayList<>();
        for (String stream : definition.streams()) {
            FeedStart start = latest ? FeedStart.latest() : FeedStart.trimHorizon();
            Feed[] self = new Feed[1];
            opened.add(streams.feeds().open(FeedRequest.of(stream, start), new Handler(stream, self))
                    .onSuccess(feed -> {
                        self[0] = feed;
                        feeds.put(stream, feed);
                    }));
        }
        return Future.all(opened).compose(all -> {
            if (stopped || failure != null) {
                return Future.succeededFuture();
            }
            Future<Void> positioned = latest ? positionAtLatest() : Future.succeededFuture();
            return positioned.onSuccess(v -> {
                if (stopped || failure != null) {
                    return;
                }
                status = Status.RUNNING;
                feeds.values().forEach(f -> f.request(BATCH));
            });
        });
    }

    /**
     * A new projection from LATEST: records where each feed starts (the number to continue after) and marks the
     * closed shards it does not read, and saves that at once, so a restart resumes from the same places.
     */
    private Future<Void> positionAtLatest() {
        List<Future<List<Shard>>> all = new ArrayList<>();
        for (String stream : definition.streams()) {
            all.add(streams.listShards(stream, null));
        }
        return Future.all(all).compose(lists -> {
            for (int i = 0; i < definition.streams().size(); i++) {
                String stream = definition.streams().get(i);
                Feed feed = feeds.get(stream);
                for (Shard shard : lists.<List<Shard>>resultAt(i)) {
                    String after = feed.resumeAfter(shard.shardId());
                    positions.get(stream).put(shard.shardId(), after == null ? SKIP_ALL : after);
                }
            }
            dirty = true;
            return saveNow();
        });
    }

    /** The handler of one source stream's feed. */
    private final class Handler implements FeedHandler {
        private final String stream;
        private final Feed[] feed;

        Handler(String stream, Feed[] feed) {
            this.stream = stream;
            this.feed = feed;
        }

        @Override
        public void shards(FeedShards shards) {
            // Positions are kept per shard as records are folded; nothing to do when shards change.
        }

        @Override
        public void records(FeedBatch batch) {
            if (stopped || failure != null) {
                return;
            }
            Map<String, String> shardPositions = positions.get(stream);
            String shardId = batch.shardId();
            for (Record record : batch.records()) {
                String at = shardPositions.get(shardId);
                if (at != null && (at.equals(SKIP_ALL)
                        || new BigInteger(record.sequenceNumber()).compareTo(new BigInteger(at)) <= 0)) {
                    continue; // already in the state (folded before the snapshot this run resumed from)
                }
                try {
                    fold(stream, shardId, record);
                } catch (Jq.JqFailure e) {
                    fail(e.getMessage(), stream, shardId, record.sequenceNumber());
                    return;
                }
                shardPositions.put(shardId, record.sequenceNumber());
                eventsProcessed++;
                eventsSinceSave++;
                dirty = true;
            }
            maybeSave(false);
            // Yield to the event loop before asking for more, and keep at most one batch of demand outstanding.
            context.runOnContext(v -> {
                Feed f = feed[0];
                if (!stopped && failure == null && f != null && f.demand() < BATCH) {
                    f.request(BATCH - f.demand());
                }
            });
        }

        @Override
        public void retrying(String shardId, PlatformException cause) {
            // The feed retries by itself; records are late, none lost.
        }

        @Override
        public void ended(FeedEnd end) {
            if (stopped) {
                return;
            }
            fail(end.reason() == FeedEnd.Reason.STREAM_DELETED
                    ? "The source stream " + stream + " was deleted."
                    : "Reading the source stream failed: " + message(end.cause()), stream, end.shardId(), null);
        }
    }

    private void fold(String stream, String shardId, Record record) {
        ObjectNode event = eventJson(stream, shardId, record);
        if (definition.filter() != null) {
            List<JsonNode> keep = definition.filter().apply(event);
            if (keep.isEmpty() || !truthy(keep.get(0))) {
                return;
            }
        }
        String key = switch (definition.partitionBy()) {
            case KEY -> record.partitionKey();
            case NONE -> ProjectionDefinition.SINGLE_KEY;
            case JQ -> partitionKey(definition.partitionJq().apply(event));
        };
        JsonNode state = states.getOrDefault(key, definition.init());
        ObjectNode input = JsonNodeFactory.instance.objectNode();
        input.set("state", state);
        input.set("event", event);
        List<JsonNode> out = definition.reduce().apply(input);
        if (out.size() != 1 || out.get(0) == null || out.get(0).isMissingNode()) {
            throw new Jq.JqFailure("The reducer produced " + out.size() + " outputs; it must produce exactly one.");
        }
        states.put(key, out.get(0));
    }

    private static String partitionKey(List<JsonNode> out) {
        if (out.size() != 1 || !(out.get(0).isTextual() || out.get(0).isNumber())) {
            throw new Jq.JqFailure("The partitionBy jq must yield exactly one string or number, got "
                    + (out.size() == 1 ? out.get(0).getNodeType().name().toLowerCase() : out.size() + " outputs") + ".");
        }
        return out.get(0).asText();
    }

    private static boolean truthy(JsonNode v) {
        return !(v.isNull() || v.isMissingNode() || (v.isBoolean() && !v.asBoolean()));
    }

    /** The event as reducers see it. */
    static ObjectNode eventJson(String stream, String shardId, Record record) {
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        e.set("data", data(record.data()));
        e.put("key", record.partitionKey());
        e.put("type", record.eventType());
        e.put("id", record.eventId());
        ObjectNode meta = e.putObject("metadata");
        record.metadata().forEach(meta::put);
        e.put("stream", stream);
        e.put("shardId", shardId);
        e.put("sequenceNumber", record.sequenceNumber());
        e.put("arrivalTimestamp", record.arrivalMillis());
        return e;
    }

    /** The data parsed as JSON when it is JSON, else as base64 text. */
    static JsonNode data(byte[] bytes) {
        if (bytes.length > 0) {
            try {
                JsonNode parsed = JSON.readTree(bytes);
                if (parsed != null && !parsed.isMissingNode()) {
                    return parsed;
                }
            } catch (IOException notJson) {
                // fall through: not JSON
            }
        }
        return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes));
    }

    private void fail(String message, String stream, String shardId, String sequenceNumber) {
        if (failure != null) {
            return;
        }
        failure = new Failure(message, stream, shardId, sequenceNumber);
        status = Status.FAILED;
        feeds.values().forEach(Feed::close);
        dirty = true;
        if (!stopped) {
            maybeSave(true);
        }
    }

    /** Saves the snapshot when due (or {@code force}d) and dirty; one put at a time, in order. */
    private void maybeSave(boolean force) {
        if (!dirty) {
            return;
        }
        if (saving) {
            saveAgain = true;
            return;
        }
        if (!force && eventsSinceSave < SAVE_EVERY_EVENTS
                && System.currentTimeMillis() - lastSave < SAVE_EVERY_MILLIS) {
            return;
        }
        byte[] bytes = snapshot();
        saving = true;
        dirty = false;
        eventsSinceSave = 0;
        lastSave = System.currentTimeMillis();
        metadata.put(SNAPSHOTS, definition.name(), bytes).onComplete(ar -> {
            saving = false;
            if (ar.failed()) {
                dirty = true; // retried by the timer
            }
            if (saveAgain) {
                saveAgain = false;
                maybeSave(stopped);
            }
            if (!saving && saved != null) {
                Promise<Void> p = saved;
                saved = null;
                if (ar.succeeded() && !dirty) {
                    p.complete();
                } else if (ar.failed()) {
                    p.fail(ar.cause());
                } else {
                    saveNow().onComplete(p);
                }
            }
        });
    }

    /** Saves now if dirty, after any save in flight; succeeds once everything folded so far is stored. */
    private Future<Void> saveNow() {
        if (!dirty && !saving) {
            return Future.succeededFuture();
        }
        if (saved == null) {
            saved = Promise.promise();
        }
        Future<Void> f = saved.future();
        if (!saving) {
            maybeSave(true);
        }
        return f;
    }

    @Override
    public Future<?> stop() {
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        feeds.values().forEach(Feed::close);
        return saveNow();
    }

    private byte[] snapshot() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("version", 1);
        s.put("eventsProcessed", eventsProcessed);
        s.set("positions", positionsJson());
        ObjectNode st = s.putObject("states");
        states.forEach(st::set);
        if (failure != null) {
            s.set("failure", failureJson(failure));
        }
        try {
            return JSON.writeValueAsBytes(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void restore(byte[] bytes) {
        JsonNode s;
        try {
            s = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable snapshot: " + e.getMessage(), e);
        }
        eventsProcessed = s.path("eventsProcessed").asLong();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("positions").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> stream = it.next();
            Map<String, String> shards = positions.get(stream.getKey());
            if (shards != null) {
                stream.getValue().fields().forEachRemaining(e -> shards.put(e.getKey(), e.getValue().asText()));
            }
        }
        s.path("states").fields().forEachRemaining(e -> states.put(e.getKey(), e.getValue()));
        JsonNode f = s.get("failure");
        if (f != null && f.isObject()) {
            failure = new Failure(f.path("message").asText(), f.path("stream").textValue(),
                    f.path("shardId").textValue(), f.path("sequenceNumber").textValue());
        }
    }

    /** Status, positions, counts and last error, as {@code GET /v1/projections/{name}} shows them. */
    ObjectNode describe() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("name", definition.name());
        out.put("status", status.name());
        out.set("definition", definition.toJson());
        out.put("eventsProcessed", eventsProcessed);
        out.put("keys", states.size());
        out.set("positions", positionsJson());
        Failure f = failure;
        if (f == null) {
            out.putNull("lastError");
        } else {
            out.set("lastError", failureJson(f));
        }
        return out;
    }

    private ObjectNode positionsJson() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String stream : definition.streams()) {
            ObjectNode shards = out.putObject(stream);
            new java.util.TreeMap<>(positions.get(stream)).forEach((shard, seq) -> {
                if (!seq.equals(SKIP_ALL)) {
                    shards.put(shard, seq);
                }
            });
        }
        return out;
    }

    private static ObjectNode failureJson(Failure f) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("message", f.message());
        out.put("stream", f.stream());
        out.put("shardId", f.shardId());
        out.put("sequenceNumber", f.sequenceNumber());
        return out;
    }

    /** The state of a key, or {@code null}. */
    JsonNode state(String key) {
        return states.get(key);
    }

    /** The key-ordered states after {@code after} ({@code null}: from the first). */
    java.util.NavigableMap<String, JsonNode> keys(String after) {
        return after == null ? states : states.tailMap(after, false);
    }

    private static String message(Throwable e) {
        return e == null ? "unknown" : e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
