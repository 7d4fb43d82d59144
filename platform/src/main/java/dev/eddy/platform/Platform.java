package dev.eddy.platform;

import dev.eddy.eventstore.EventStore;
import dev.eddy.platform.impl.StreamsImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Entry point of the platform module. */
public final class Platform {

    private Platform() {
    }

    /** Loads the streams from the store's metadata and returns the running service. */
    public static Future<Streams> start(Vertx vertx, EventStore store, PlatformOptions options) {
        return start(vertx, store, options, StreamMetrics.disabled());
    }

    /** As {@link #start(Vertx, EventStore, PlatformOptions)}, recording the streams' metrics. */
    public static Future<Streams> start(Vertx vertx, EventStore store, PlatformOptions options, StreamMetrics metrics) {
        return StreamsImpl.start(vertx, store, options, metrics).map(streams -> streams);
    }
}
