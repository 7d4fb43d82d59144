package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.tck.EventStoreFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * A PostgreSQL store in a database of its own on the shared test server, dropped by {@link #cleanup()}.
 * Reopen closes nothing itself: the suite closes the store and opens again on the same database. Not thread-safe.
 */
public final class PostgresFixture implements EventStoreFixture {

    private final String url = PostgresTestServer.createDatabase();

    public String url() {
        return url;
    }

    @Override
    public Future<EventStore> open(Vertx vertx) {
        return PostgresEventStore.open(vertx, PostgresOptions.of(url)).map(s -> s);
    }

    @Override
    public void cleanup() {
        PostgresTestServer.dropDatabase(url);
    }
}
