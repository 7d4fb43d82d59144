package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Drops a log's oldest records (retention). Thread-safe. */
public interface Trimmer {

    /**
     * Removes records below {@code beforePosition}. Trimming is by whole stored batches, so a few records
     * below the position may remain; the future gives the new trim horizon (first readable position).
     */
    Future<Long> trim(String log, long beforePosition);
}
