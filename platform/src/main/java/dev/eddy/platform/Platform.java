package dev.eddy.platform;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.postgres.PostgresOptions;
import dev.eddy.platform.impl.StreamsImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Entry point of the platform module. */
public final class Platform {

    private Platform() {
    }

    /**
     * Opens the store the settings name. Fails with a {@link PlatformException}: SERVICE_UNAVAILABLE when it
     * cannot be reached or locked (a database down, a directory in use), INTERNAL_FAILURE otherwise.
     */
    public static Future<Storage> openStorage(Vertx vertx, StorageSettings settings) {
        Future<EventStore> store;
        try {
            store = switch (settings.backend()) {
                case "memory" -> Future.succeededFuture(EventStores.memory(vertx));
                case "postgres" -> EventStores.postgres(vertx, new PostgresOptions(settings.pgUrl(), settings.pgPoolSize()));
                case "mapdb" -> EventStores.mapdb(vertx, settings.dataDir());
                default -> throw PlatformException.invalidArgument("Unknown storage backend '" + settings.backend()
                        + "': use mapdb, postgres or memory.");
            };
        } catch (RuntimeException e) {
            store = Future.failedFuture(e);
        }
        return store.<Storage>map(StoreStorage::new).recover(StreamsImpl::storageFailure);
    }

    /** Starts the platform on opened storage, recording the streams' and the store's metrics. */
    public static Future<Streams> start(Vertx vertx, Storage storage, PlatformOptions options, StreamMetrics metrics) {
        EventStore store = ((StoreStorage) storage).store;
        store.onCommit(metrics::storageCommit);
        store.observeWrites(metrics.storagePhases());
        return start(vertx, store, options, metrics);
    }

    /** Loads the streams from the store's metadata and returns the running service. */
    public static Future<Streams> start(Vertx vertx, EventStore store, PlatformOptions options) {
        return start(vertx, store, options, StreamMetrics.disabled());
    }

    /** As {@link #start(Vertx, EventStore, PlatformOptions)}, recording the streams' metrics. */
    public static Future<Streams> start(Vertx vertx, EventStore store, PlatformOptions options, StreamMetrics metrics) {
        return StreamsImpl.start(vertx, store, options, metrics).<Streams>map(streams -> streams)
                .recover(StreamsImpl::storageFailure);
    }

    /** {@link Storage} over an {@link EventStore}. */
    private record StoreStorage(EventStore store) implements Storage {

        @Override
        public String backend() {
            return store.backend();
        }

        @Override
        public Future<Void> close() {
            return store.close();
        }
    }
}
