package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Tells a log's bounds. Thread-safe. */
public interface LogInspector {

    /** The log's current bounds; an unknown log is {@link LogState#EMPTY}. */
    Future<LogState> state(String log);

    /** The data bytes of the log's retained records (what trims and deletes give back); 0 for an unknown log. */
    Future<Long> storedBytes(String log);
}
