package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Reads a log by position. Thread-safe; never waits for appends in progress. */
public interface LogReader {

    /**
     * Reads durable records from {@code fromPosition} (raised to the trim horizon if below it), at most
     * {@code maxRecords} of them and, beyond the first, no more than {@code maxBytes} in total
     * ({@link StoredRecord#size()}). A record is visible only once its append was acknowledged durable.
     * An unknown log reads as empty.
     */
    Future<ReadResult> read(String log, long fromPosition, int maxRecords, long maxBytes);
}
