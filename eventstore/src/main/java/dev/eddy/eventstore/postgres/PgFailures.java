package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.EventStoreException;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import io.vertx.pgclient.PgException;

/**
 * Turns the client's failures into the store's: anything that says the database cannot be reached or cannot
 * serve right now becomes a retryable {@link StorageUnavailableException}. Stateless.
 */
final class PgFailures {

    private PgFailures() {
    }

    static Throwable map(Throwable t) {
        if (t instanceof EventStoreException || t instanceof IllegalArgumentException) {
            return t;
        }
        if (t instanceof PgException pg) {
            String state = pg.getSqlState() == null ? "" : pg.getSqlState();
            if (retryable(state)) {
                return new StorageUnavailableException("PostgreSQL cannot serve the call right now (SQLSTATE "
                        + state + "): " + pg.getErrorMessage(), t);
            }
            return new EventStoreException("PostgreSQL rejected the call (SQLSTATE " + state + "): " + pg.getErrorMessage(), t);
        }
        // Connection refused or reset, pool closed, timeouts: the database is out of reach.
        return new StorageUnavailableException("PostgreSQL is unavailable: " + t, t);
    }

    /** Connection exceptions, shutdown, insufficient resources, serialization failures and deadlocks. */
    private static boolean retryable(String state) {
        return state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
                || state.equals("40001") || state.equals("40P01") || state.equals("25006");
    }
}
