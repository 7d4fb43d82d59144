package dev.eddy.platform.impl;

import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.Feeds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.Objects;

/** The platform's {@link Feeds}: one set of shard tails shared by every feed of the server. Thread-safe. */
final class FeedsImpl implements Feeds {

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final ShardTails tails;

    FeedsImpl(Vertx vertx, StreamsImpl streams) {
        this.vertx = vertx;
        this.streams = streams;
        this.tails = new ShardTails(vertx, streams);
    }

    @Override
    public Future<Feed> open(FeedRequest request, FeedHandler handler) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        return FeedImpl.open(vertx, vertx.getOrCreateContext(), streams, tails, request, handler);
    }
}
