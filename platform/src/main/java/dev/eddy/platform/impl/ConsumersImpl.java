package dev.eddy.platform.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.platform.Consumers;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.StreamConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;

/**
 * The consumer registry: per stream incarnation, consumers by name, kept in memory and in the store's metadata
 * ({@code consumers/<stream uid>}, one entry per consumer). Registration and deregistration take the create and
 * delete delays of streams to move CREATING -> ACTIVE and DELETING -> gone, as Kinesis takes seconds. Thread-safe.
 */
final class ConsumersImpl implements Consumers {

    private static final String NAMESPACE_PREFIX = "consumers/";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final EventStore store;
    private final PlatformOptions options;
    /** Stream uid -> consumer name -> consumer. */
    private final ConcurrentMap<String, ConcurrentSkipListMap<String, StreamConsumer>> byStream =
            new ConcurrentHashMap<>();

    ConsumersImpl(Vertx vertx, StreamsImpl streams, EventStore store, PlatformOptions options) {
        this.vertx = vertx;
        this.streams = streams;
        this.store = store;
        this.options = options;
    }

    /** Loads a stream's consumers at start, finishing registrations and deregistrations a restart cut short. */
    Future<Void> load(StreamMeta meta) {
        return store.list(NAMESPACE_PREFIX + meta.uid()).compose(stored -> {
            ConcurrentSkipListMap<String, StreamConsumer> consumers = of(meta);
            List<Future<Void>> pending = new ArrayList<>();
            for (byte[] value : stored.values()) {
                StreamConsumer c = decode(value);
                if (c.status() == StreamConsumer.Status.DELETING) {
                    pending.add(store.remove(NAMESPACE_PREFIX + meta.uid(), c.name()));
                    continue;
                }
                consumers.put(c.name(), c);
                if (c.status() == StreamConsumer.Status.CREATING) {
                    pending.add(save(meta, c.withStatus(StreamConsumer.Status.ACTIVE)));
                }
            }
            return Future.all(pending).<Void>mapEmpty();
        });
    }

    private ConcurrentSkipListMap<String, StreamConsumer> of(StreamMeta meta) {
        return byStream.computeIfAbsent(meta.uid(), k -> new ConcurrentSkipListMap<>());
    }

    /** How many consumers the stream has (for DescribeStreamSummary). */
    int count(StreamMeta meta) {
        ConcurrentSkipListMap<String, StreamConsumer> consumers = byStream.get(meta.uid());
        return consumers == null ? 0 : consumers.size();
    }

    /** Forgets a deleted stream's consumers (memory and metadata). */
    Future<Void> purge(StreamMeta meta) {
        byStream.remove(meta.uid());
        String namespace = NAMESPACE_PREFIX + meta.uid();
        return store.list(namespace).compose(stored -> {
            List<Future<Void>> removals = new ArrayList<>();
            for (String key : stored.keySet()) {
                removals.add(store.remove(namespace, key));
            }
            return Future.all(removals).<Void>mapEmpty();
        });
    }

    @Override
    public Future<StreamConsumer> register(String streamArn, String consumerName, Map<String, String> tags) {
        StreamMeta meta;
        StreamConsumer consumer;
        try {
            checkName(consumerName);
            meta = streams.writableMeta(streams.streamNameFromArn(streamArn));
            ConcurrentSkipListMap<String, StreamConsumer> consumers = of(meta);
            synchronized (consumers) {
                if (consumers.containsKey(consumerName)) {
                    throw PlatformException.inUse("Consumer " + consumerName + " already exists for stream "
                            + streamArn + ".");
                }
                if (consumers.size() >= MAX_PER_STREAM) {
                    throw new PlatformException(ErrorCode.LIMIT_EXCEEDED, "Stream " + streamArn + " has reached its"
                            + " limit of " + MAX_PER_STREAM + " registered consumers.");
                }
                long now = options.clock().millis();
                consumer = new StreamConsumer(consumerName, streams.arn(meta.name()) + "/consumer/" + consumerName
                        + ":" + now / 1000, StreamConsumer.Status.CREATING, now, streams.arn(meta.name()), tags);
                consumers.put(consumerName, consumer);
            }
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        return save(meta, consumer)
                .onFailure(err -> of(meta).remove(consumerName, consumer))
                .onSuccess(v -> vertx.setTimer(Math.max(1, options.createStreamDelay().toMillis()),
                        id -> activate(meta, consumerName)))
                .map(consumer);
    }

    private void activate(StreamMeta meta, String name) {
        StreamConsumer c = of(meta).get(name);
        if (c != null && c.status() == StreamConsumer.Status.CREATING) {
            save(meta, c.withStatus(StreamConsumer.Status.ACTIVE));
        }
    }

    @Override
    public Future<StreamConsumer> describe(String consumerArn, String streamArn, String consumerName) {
        try {
            return Future.succeededFuture(find(consumerArn, streamArn, consumerName).consumer);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
    }

    @Override
    public Future<List<StreamConsumer>> list(String streamArn) {
        try {
            StreamMeta meta = streams.writableMeta(streams.streamNameFromArn(streamArn));
            return Future.succeededFuture(List.copyOf(of(meta).values()));
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
    }

    @Override
    public Future<Void> deregister(String consumerArn, String streamArn, String consumerName) {
        Found found;
        try {
            found = find(consumerArn, streamArn, consumerName);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamConsumer c = found.consumer;
        if (c.status() == StreamConsumer.Status.DELETING) {
            return Future.succeededFuture();
        }
        return save(found.meta, c.withStatus(StreamConsumer.Status.DELETING))
                .onSuccess(v -> vertx.setTimer(Math.max(1, options.deleteStreamDelay().toMillis()), id -> {
                    of(found.meta).remove(c.name());
                    store.remove(NAMESPACE_PREFIX + found.meta.uid(), c.name());
                }));
    }

    private record Found(StreamMeta meta, StreamConsumer consumer) {
    }

    private Found find(String consumerArn, String streamArn, String consumerName) {
        String stream;
        String name;
        if (consumerArn != null) {
            int at = consumerArn.indexOf("/consumer/");
            int colon = consumerArn.lastIndexOf(':');
            if (at < 0 || colon < at) {
                throw PlatformException.invalidArgument("Invalid ConsumerARN '" + consumerArn + "'.");
            }
            stream = streams.streamNameFromArn(consumerArn.substring(0, at));
            name = consumerArn.substring(at + "/consumer/".length(), colon);
        } else if (streamArn != null && consumerName != null) {
            stream = streams.streamNameFromArn(streamArn);
            name = consumerName;
        } else {
            throw PlatformException.invalidArgument("Give ConsumerARN, or StreamARN and ConsumerName.");
        }
        StreamMeta meta = streams.writableMeta(stream);
        StreamConsumer c = of(meta).get(name);
        if (c == null || consumerArn != null && !c.arn().equals(consumerArn)) {
            throw PlatformException.notFound("Consumer " + (consumerArn != null ? consumerArn : name)
                    + " not found.");
        }
        return new Found(meta, c);
    }

    private Future<Void> save(StreamMeta meta, StreamConsumer c) {
        of(meta).computeIfPresent(c.name(), (k, old) -> old.createdMillis() == c.createdMillis() ? c : old);
        return store.put(NAMESPACE_PREFIX + meta.uid(), c.name(), encode(c)).recover(StreamsImpl::storageFailure);
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw PlatformException.invalidArgument("Invalid ConsumerName '" + name
                    + "': it must match [a-zA-Z0-9_.-]+ and be 1 to 128 characters long.");
        }
    }

    private static byte[] encode(StreamConsumer c) {
        try {
            return JSON.writeValueAsBytes(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static StreamConsumer decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, StreamConsumer.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
