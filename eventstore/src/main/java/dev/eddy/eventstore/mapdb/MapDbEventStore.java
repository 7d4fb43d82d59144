package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.impl.StoreEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.mapdb.volume.Volume;

import java.util.function.UnaryOperator;

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
        return open(vertx, options, UnaryOperator.identity());
    }

    /** Opens with the store file's volume wrapped (tests: simulated crashes while a commit reaches the file). */
    static Future<MapDbEventStore> open(Vertx vertx, MapDbOptions options, UnaryOperator<Volume> fileWrapper) {
        return vertx.executeBlocking(() -> openBlocking(vertx, options, fileWrapper), false);
    }

    private static MapDbEventStore openBlocking(Vertx vertx, MapDbOptions options, UnaryOperator<Volume> fileWrapper) {
        MapDbBatchStorage storage = MapDbBatchStorage.openBlocking(options, fileWrapper);
        try {
            return new MapDbEventStore(vertx, storage, options);
        } catch (RuntimeException | Error e) {
            storage.closeBlocking();
            throw e;
        }
    }
}
