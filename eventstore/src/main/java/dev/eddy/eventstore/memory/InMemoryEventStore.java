package dev.eddy.eventstore.memory;

import dev.eddy.eventstore.impl.StoreEngine;
import io.vertx.core.Vertx;

/**
 * An event store that keeps everything in memory: the shared engine with the same ordering, atomicity and
 * visibility as the durable backends, lost on exit. Thread-safe. For tests and throwaway servers.
 */
public final class InMemoryEventStore extends StoreEngine {

    /** Group-commit bounds; commits cost nothing here, so they only bound how long a group holds futures. */
    private static final int MAX_APPENDS_PER_COMMIT = 256;
    private static final long MAX_BYTES_PER_COMMIT = 16L << 20;

    private InMemoryEventStore(Vertx vertx) {
        super(vertx, new MemoryBatchStorage(), MAX_APPENDS_PER_COMMIT, MAX_BYTES_PER_COMMIT);
    }

    /** A new, empty store (does not block). */
    public static InMemoryEventStore create(Vertx vertx) {
        return new InMemoryEventStore(vertx);
    }
}
