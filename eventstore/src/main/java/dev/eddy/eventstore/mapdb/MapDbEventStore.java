package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.impl.StoreEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.mapdb.volume.Volume;

import java.util.function.UnaryOperator;

/**
 * The embedded, durable event store: the shared engine over MapDB, one commit acknowledging many appends. By
 * default a commit is one append to Eddy's segment log, which keeps the batches, and MapDB, committed behind it,
 * records where they lie ({@link LoggedBatchStorage}). Thread-safe. One process at a time may open a data directory.
 */
public final class MapDbEventStore extends StoreEngine {

    private MapDbEventStore(Vertx vertx, BatchStorage storage, MapDbOptions options) {
        super(vertx, storage, options.maxAppendsPerCommit(), options.maxBytesPerCommit());
    }

    /**
     * Opens (creating or recovering) the store on a worker thread. Fails with
     * {@link dev.eddy.eventstore.spi.StorageUnavailableException} when the directory cannot be opened, e.g.
     * because another process holds it.
     */
    public static Future<MapDbEventStore> open(Vertx vertx, MapDbOptions options) {
        return open(vertx, options, UnaryOperator.identity());
    }

    /** Opens with the store file's volume wrapped (tests: simulated crashes while a commit reaches the file). */
    static Future<MapDbEventStore> open(Vertx vertx, MapDbOptions options, UnaryOperator<Volume> fileWrapper) {
        return open(vertx, options, fileWrapper, LoggedBatchStorage.Policy.DEFAULT);
    }

    /** The same with a checkpoint policy (tests). */
    static Future<MapDbEventStore> open(Vertx vertx, MapDbOptions options, UnaryOperator<Volume> fileWrapper,
                                        LoggedBatchStorage.Policy policy) {
        return vertx.executeBlocking(() -> openBlocking(vertx, options, fileWrapper, policy), false);
    }

    private static MapDbEventStore openBlocking(Vertx vertx, MapDbOptions options, UnaryOperator<Volume> fileWrapper,
                                                LoggedBatchStorage.Policy policy) {
        MapDbBatchStorage mapdb = MapDbBatchStorage.openBlocking(options, fileWrapper);
        BatchStorage storage = mapdb;
        try {
            if (options.redoLog()) {
                storage = LoggedBatchStorage.openBlocking(mapdb, policy);
            } else {
                LoggedBatchStorage.replayBlocking(mapdb, policy.segmentBytes()); // last written with the log
            }
            return new MapDbEventStore(vertx, storage, options);
        } catch (RuntimeException | Error e) {
            storage.closeBlocking();
            throw e;
        }
    }
}
