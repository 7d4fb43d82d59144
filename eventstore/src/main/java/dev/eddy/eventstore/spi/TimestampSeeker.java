package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Finds positions by arrival time. Thread-safe. */
public interface TimestampSeeker {

    /**
     * The position of the first record whose arrival timestamp is at or after {@code timestampMillis},
     * or the log's next position when there is none (a reader starting there sees only newer records).
     */
    Future<Long> seek(String log, long timestampMillis);
}
