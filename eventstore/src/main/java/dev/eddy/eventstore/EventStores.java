package dev.eddy.eventstore;

import dev.eddy.eventstore.mapdb.MapDbEventStore;
import dev.eddy.eventstore.mapdb.MapDbOptions;
import dev.eddy.eventstore.memory.InMemoryEventStore;
import dev.eddy.eventstore.postgres.PostgresEventStore;
import dev.eddy.eventstore.postgres.PostgresOptions;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;

/** Static factories for the backends. */
public final class EventStores {

    private EventStores() {
    }

    /** Opens (creating or recovering) the MapDB store in {@code dataDir} with default options. */
    public static Future<EventStore> mapdb(Vertx vertx, Path dataDir) {
        return mapdb(vertx, MapDbOptions.defaults(dataDir));
    }

    /** Opens (creating or recovering) the MapDB store described by the options. */
    public static Future<EventStore> mapdb(Vertx vertx, MapDbOptions options) {
        return MapDbEventStore.open(vertx, options).map(store -> store);
    }

    /** A store that keeps everything in memory: fast, lost on exit. */
    public static EventStore memory(Vertx vertx) {
        return InMemoryEventStore.create(vertx);
    }

    /**
     * Opens the store in a PostgreSQL database, creating or migrating its schema. Fails with
     * {@link StorageUnavailableException} naming the server when the database cannot be reached.
     */
    public static Future<EventStore> postgres(Vertx vertx, PostgresOptions options) {
        return PostgresEventStore.open(vertx, options).map(store -> store);
    }
}
