package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Tells a key's current version. Thread-safe. */
public interface KeyVersionReader {

    /** The version of the key's last durable record, or {@link ExpectedVersion#NO_VERSION} when it has none. */
    Future<Long> currentVersion(String log, String key);
}
