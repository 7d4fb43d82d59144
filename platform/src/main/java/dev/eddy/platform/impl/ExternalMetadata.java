package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.MetadataStore;
import dev.eddy.platform.KeyValueStore;
import dev.eddy.platform.PlatformException;
import io.vertx.core.Future;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@link KeyValueStore} over the event store's metadata. Every caller namespace is stored under the prefix
 * {@value #PREFIX}, so callers can neither read nor overwrite the platform's own namespaces. Thread-safe.
 */
final class ExternalMetadata implements KeyValueStore {

    static final String PREFIX = "ext.";

    private final MetadataStore store;

    ExternalMetadata(MetadataStore store) {
        this.store = store;
    }

    @Override
    public Future<byte[]> get(String namespace, String key) {
        return guard(() -> store.get(ns(namespace), Objects.requireNonNull(key, "key")));
    }

    @Override
    public Future<Void> put(String namespace, String key, byte[] value) {
        return guard(() -> store.put(ns(namespace), Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, "value")));
    }

    @Override
    public Future<Void> delete(String namespace, String key) {
        return guard(() -> store.remove(ns(namespace), Objects.requireNonNull(key, "key")));
    }

    @Override
    public Future<Map<String, byte[]>> list(String namespace) {
        return guard(() -> store.list(ns(namespace)).map(LinkedHashMap::new));
    }

    private static String ns(String namespace) {
        if (namespace == null || namespace.isEmpty()) {
            throw PlatformException.invalidArgument("A metadata namespace must not be empty.");
        }
        return PREFIX + namespace;
    }

    private static <T> Future<T> guard(java.util.function.Supplier<Future<T>> call) {
        try {
            return call.get().recover(StreamsImpl::storageFailure);
        } catch (RuntimeException e) {
            return StreamsImpl.storageFailure(e);
        }
    }
}
