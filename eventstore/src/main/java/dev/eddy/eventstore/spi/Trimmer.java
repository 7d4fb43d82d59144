package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Drops a log's oldest records (retention). Thread-safe. */
public interface Trimmer {

    /**
     * Removes records below {@code beforePosition}. Trimming is by whole stored batches, so a few records
     * below the position may remain; the future gives the new trim horizon (first readable position).
     */
    Future<Long> trim(String log, long beforePosition);

    /**
     * Makes the space of trimmed and deleted records reusable, for a backend that does not do so by itself:
     * PostgreSQL vacuums its tables (a plain VACUUM: no lock that stops reads or appends); MapDB gives a log
     * segment back once none of its batches is live, on its own, so it does nothing here.
     */
    default Future<Void> reclaimSpace() {
        return Future.succeededFuture();
    }
}
