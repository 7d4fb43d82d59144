package dev.eddy.platform;

import io.vertx.core.Future;

import java.util.Map;

/**
 * Durable key-value documents kept in the same backend as the streams (memory, MapDB, PostgreSQL), for services
 * beside the API (projections) that must store their state and positions together with the log. Namespaces are
 * the caller's own: they never reach the platform's internal ones. A {@link #put} is atomic and durable before
 * its future succeeds. Failures are {@link PlatformException}s (SERVICE_UNAVAILABLE when the store is down).
 * Thread-safe; no method blocks.
 */
public interface KeyValueStore {

    /** The value, or {@code null} when absent. */
    Future<byte[]> get(String namespace, String key);

    /** Stores the value (replacing any), atomically and durably. */
    Future<Void> put(String namespace, String key, byte[] value);

    /** Removes the key; removing an absent key succeeds. */
    Future<Void> delete(String namespace, String key);

    /** All entries of the namespace, in key order. */
    Future<Map<String, byte[]>> list(String namespace);
}
