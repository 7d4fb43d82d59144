package dev.eddy.platform.impl;

import dev.eddy.platform.Shard;

/** A stream's current metadata with its derived routing table. Immutable, so thread-safe. */
record StreamState(StreamMeta meta, RoutingTable routing) {

    StreamState(StreamMeta meta) {
        this(meta, new RoutingTable(meta.shards()));
    }

    Shard shard(int index) {
        return index >= 0 && index < meta.shards().size() ? meta.shards().get(index) : null;
    }
}
