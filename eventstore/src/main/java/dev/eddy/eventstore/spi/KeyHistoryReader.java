package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

import java.util.List;

/** Reads one partition key's records (an aggregate's history). Thread-safe. */
public interface KeyHistoryReader {

    /**
     * The key's durable records with version {@code >= fromVersion}, in version order, at most
     * {@code maxRecords}. Records trimmed away are not returned.
     */
    Future<List<StoredRecord>> readKey(String log, String key, long fromVersion, int maxRecords);
}
