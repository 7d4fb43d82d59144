package dev.eddy.platform;

import io.vertx.core.Future;

/**
 * Opens {@link Feed}s: the one way every reader inside the server (WebSocket subscriptions, enhanced fan-out,
 * projections, sinks) reads a stream. Thread-safe.
 */
public interface Feeds {

    /**
     * Opens a feed on the calling Vert.x context (an event loop; outside one, on a new context) with no demand
     * yet. Succeeds once it is positioned and, for a group, joined: the handler has had its first
     * {@link FeedHandler#shards} call by then. Fails RESOURCE_NOT_FOUND for a stream that does not exist or is
     * deleting, INVALID_ARGUMENT for a start or shard not of the stream or a bad group name.
     */
    Future<Feed> open(FeedRequest request, FeedHandler handler);
}
