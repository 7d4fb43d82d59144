package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Deletes whole logs. Thread-safe. */
public interface LogDeleter {

    /** Deletes the log and its indexes; a later append starts a new, empty log of that name. */
    Future<Void> deleteLog(String log);
}
