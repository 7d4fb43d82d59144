package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.EventStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * How the conformance suite gets a backend. One fixture serves one test: every {@link #open} opens the same
 * data (so a close followed by an open is a reopen), until {@link #cleanup()} removes it. Not thread-safe.
 */
public interface EventStoreFixture {

    /** Opens (or reopens) the store over this fixture's data. */
    Future<EventStore> open(Vertx vertx);

    /** Whether a store reopened after close sees what the closed one stored; tests of that are skipped if not. */
    default boolean supportsReopen() {
        return true;
    }

    /** Removes the data; called after the store is closed. */
    default void cleanup() throws Exception {
    }
}
