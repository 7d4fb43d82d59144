package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.impl.StoreEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The embedded, durable event store: the shared engine over MapDB with its write-ahead log, one commit
 * acknowledging many appends. Thread-safe. One process at a time may open a data directory.
 */
public final class MapDbEventStore extends StoreEngine {

    private MapDbEventStore(Vertx vertx, MapDbBatchStorage storage, MapDbOptions options) {
        super(vertx, storage, options.maxAppendsPerCommit(), options.maxBytesPerCommit());
    }

    /**
     * Opens (creating or recovering) the store on a worker thread. Fails with
     * {@link dev.eddy.eventstore.StorageUnavailableException} when the directory cannot be opened, e.g.
     * because another process holds it.
     */
    public static Future<MapDbEventStore> open(Vertx vertx, MapDbOptions options) {
        return vertx.executeBlocking(() -> openBlocking(vertx, options), false);
    }

    private static MapDbEventStore openBlocking(Vertx vertx, MapDbOptions options) {
        MapDbBatchStorage storage = MapDbBatchStorage.openBlocking(options);
        try {
            return new MapDbEventStore(vertx, storage, options);
        } catch (RuntimeException | Error e) {
            storage.closeBlocking();
            throw e;
        }
    }
}
