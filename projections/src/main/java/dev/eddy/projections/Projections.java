package dev.eddy.projections;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.KeyValueStore;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The projections of a server: creates (validates, stores and starts), lists, describes, queries and deletes
 * them; on {@link #start} every stored projection starts again from its snapshot. Definitions and snapshots
 * live in the platform's {@link KeyValueStore} (namespaces {@value #DEFINITIONS} and
 * {@link ProjectionRunner#SNAPSHOTS}). Failures are {@link PlatformException}s: INVALID_ARGUMENT for a bad
 * definition, RESOURCE_NOT_FOUND for an unknown stream, projection or key, RESOURCE_IN_USE for a duplicate name.
 * Thread-safe; never blocks.
 */
public final class Projections {

    static final String DEFINITIONS = "projections.definitions";
    /** Most keys a state page holds. */
    public static final int MAX_PAGE = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final Streams streams;
    private final KeyValueStore metadata;
    /** Running projections by name, and names being created (value {@code null} while reserved). */
    private final ConcurrentSkipListMap<String, Entry> projections = new ConcurrentSkipListMap<>();
    private final Map<String, Boolean> reserved = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Entry(ProjectionRunner runner, String deployment) {
    }

    private Projections(Vertx vertx, Streams streams) {
        this.vertx = vertx;
        this.streams = streams;
        this.metadata = streams.metadata();
    }

    /** Loads every stored definition and starts its projection (a broken one starts FAILED). */
    public static Future<Projections> start(Vertx vertx, Streams streams) {
        Projections p = new Projections(vertx, streams);
        return p.metadata.list(DEFINITIONS).compose(stored -> {
            List<Future<?>> started = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : stored.entrySet()) {
                ProjectionDefinition definition;
                try {
                    definition = ProjectionDefinition.parse(JSON.readTree(e.getValue()));
                } catch (IOException | RuntimeException bad) {
                    return Future.failedFuture(new IllegalStateException("stored projection " + e.getKey()
                            + " has an unreadable definition: " + bad.getMessage(), bad));
                }
                started.add(p.deploy(definition));
            }
            return Future.all(started).map(p);
        });
    }

    private Future<Void> deploy(ProjectionDefinition definition) {
        ProjectionRunner runner = new ProjectionRunner(definition, streams, metadata);
        return vertx.deployVerticle(runner).map(id -> {
            projections.put(definition.name(), new Entry(runner, id));
            return null;
        });
    }

    /** Validates, stores and starts a projection; its description (as {@link #describe}). */
    public Future<ObjectNode> create(JsonNode body) {
        ProjectionDefinition definition;
        try {
            definition = ProjectionDefinition.parse(body);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        String name = definition.name();
        if (closed) {
            return Future.failedFuture(PlatformException.inUse("The server is shutting down."));
        }
        if (projections.containsKey(name) || reserved.putIfAbsent(name, Boolean.TRUE) != null) {
            return Future.failedFuture(PlatformException.inUse("Projection " + name + " already exists."));
        }
        if (projections.containsKey(name)) {
            reserved.remove(name);
            return Future.failedFuture(PlatformException.inUse("Projection " + name + " already exists."));
        }
        List<Future<?>> checks = new ArrayList<>();
        for (String stream : definition.streams()) {
            checks.add(streams.describeStream(stream));
        }
        byte[] stored = definition.toJson().toString().getBytes(StandardCharsets.UTF_8);
        return Future.all(checks)
                // A leftover snapshot of an earlier projection of that name must not be resumed.
                .compose(ok -> metadata.delete(ProjectionRunner.SNAPSHOTS, name))
                .compose(v -> metadata.put(DEFINITIONS, name, stored))
                .compose(v -> deploy(definition)
                        .recover(e -> metadata.delete(DEFINITIONS, name).transform(ignored -> Future.failedFuture(e))))
                .map(v -> projections.get(name).runner().describe())
                .onComplete(ar -> reserved.remove(name));
    }

    /** Every projection's description, by name. */
    public List<ObjectNode> list() {
        List<ObjectNode> out = new ArrayList<>();
        projections.values().forEach(e -> out.add(e.runner().describe()));
        return out;
    }

    /** The projection's definition, status, positions, counts and last error. */
    public ObjectNode describe(String name) {
        return runner(name).describe();
    }

    /** {@code {"key", "state"}}; RESOURCE_NOT_FOUND for an unknown projection or key. */
    public ObjectNode state(String name, String key) {
        JsonNode state = runner(name).state(key);
        if (state == null) {
            throw PlatformException.notFound("Projection " + name + " has no state for key " + key + ".");
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("key", key);
        out.set("state", state);
        return out;
    }

    /**
     * A page of {@code {"key", "state"}} in key order: {@code {"states": [...], "nextCursor"}} ({@code null} on the
     * last page). The cursor is opaque.
     */
    public ObjectNode states(String name, int limit, String cursor) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw PlatformException.invalidArgument("limit must be from 1 to " + MAX_PAGE + ".");
        }
        String after = null;
        if (cursor != null && !cursor.isEmpty()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw PlatformException.invalidArgument("The cursor is not one this server returned.");
            }
        }
        NavigableMap<String, JsonNode> page = runner(name).keys(after);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode items = out.putArray("states");
        String last = null;
        boolean more = false;
        for (Map.Entry<String, JsonNode> e : page.entrySet()) {
            if (items.size() == limit) {
                more = true;
                break;
            }
            items.addObject().put("key", e.getKey()).set("state", e.getValue());
            last = e.getKey();
        }
        if (more) {
            out.put("nextCursor", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        } else {
            out.putNull("nextCursor");
        }
        return out;
    }

    /** Stops the projection and deletes its definition and snapshot. */
    public Future<Void> delete(String name) {
        Entry entry = projections.remove(name);
        if (entry == null) {
            return Future.failedFuture(notFound(name));
        }
        return vertx.undeploy(entry.deployment())
                .transform(ignored -> metadata.delete(DEFINITIONS, name))
                .compose(v -> metadata.delete(ProjectionRunner.SNAPSHOTS, name));
    }

    /** Stops every projection, each saving its snapshot first. */
    public Future<Void> close() {
        closed = true;
        List<Future<?>> stopped = new ArrayList<>();
        for (String name : new ArrayList<>(projections.keySet())) {
            Entry e = projections.remove(name);
            if (e != null) {
                stopped.add(vertx.undeploy(e.deployment()));
            }
        }
        return Future.join(stopped).mapEmpty();
    }

    private ProjectionRunner runner(String name) {
        Entry e = projections.get(name);
        if (e == null) {
            throw notFound(name);
        }
        return e.runner();
    }

    private static PlatformException notFound(String name) {
        return PlatformException.notFound("Projection " + name + " not found.");
    }
}
