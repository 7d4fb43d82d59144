package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

import java.util.Map;

/**
 * Durable key-value documents in namespaces (streams, shards, consumers, checkpoints, ...), kept in the
 * same backend as the logs. Values are opaque bytes (callers store JSON). Thread-safe.
 */
public interface MetadataStore {

    /** The value, or {@code null} when absent. */
    Future<byte[]> get(String namespace, String key);

    /** Stores the value durably before the future succeeds. */
    Future<Void> put(String namespace, String key, byte[] value);

    /** Removes the key durably; removing an absent key succeeds. */
    Future<Void> remove(String namespace, String key);

    /** All entries of the namespace, in key order. */
    Future<Map<String, byte[]>> list(String namespace);
}
