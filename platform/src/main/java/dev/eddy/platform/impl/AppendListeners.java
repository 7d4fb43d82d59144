package dev.eddy.platform.impl;

import dev.eddy.platform.AppendWatch;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The listeners woken after appends, per stream name. Thread-safe: registrations are copy-on-write, so
 * firing (once per appended shard batch) takes no lock and costs one map lookup when nobody listens.
 */
final class AppendListeners {

    private static final System.Logger LOG = System.getLogger(AppendListeners.class.getName());

    private final ConcurrentMap<String, List<Consumer<String>>> byStream = new ConcurrentHashMap<>();

    AppendWatch register(String stream, Consumer<String> listener) {
        byStream.computeIfAbsent(stream, k -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> byStream.computeIfPresent(stream, (k, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    void fire(String stream, String shardId) {
        List<Consumer<String>> listeners = byStream.get(stream);
        if (listeners == null) {
            return;
        }
        for (Consumer<String> listener : listeners) {
            try {
                listener.accept(shardId);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "An append listener of stream " + stream + " failed", e);
            }
        }
    }
}
