package dev.eddy.bench;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One enhanced fan-out consumer of subscribe mode: registered on the stream, subscribed with SubscribeToShard to
 * every shard from LATEST, every record it receives going through its {@link Subscriber}'s checks and latency
 * histograms. A subscription that ends normally (Kinesis ends them after 5 minutes) is renewed after its last
 * continuation number; one that fails counts as an error. Thread-safe: the SDK calls it from its own threads.
 */
final class FanOutConsumer {

    final Subscriber checks;
    private final KinesisAsyncClient client;
    private final String name;
    private final int shards;
    private final ScheduledExecutorService retries;
    private final Map<Integer, String> continuation = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Void>> calls = new ConcurrentHashMap<>();
    private volatile String consumerArn;
    private volatile boolean closing;

    FanOutConsumer(Subscriber checks, KinesisAsyncClient client, String name, int shards,
                   ScheduledExecutorService retries) {
        this.checks = checks;
        this.client = client;
        this.name = name;
        this.shards = shards;
        this.retries = retries;
    }

    /** Registers the consumer, waits until it is ACTIVE, subscribes to every shard; done once all answered. */
    CompletableFuture<Void> start(String streamArn) {
        return client.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(name))
                .thenCompose(r -> {
                    consumerArn = r.consumer().consumerARN();
                    return awaitActive(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                })
                .thenCompose(v -> {
                    List<CompletableFuture<Void>> answered = new ArrayList<>();
                    for (int shard = 0; shard < shards; shard++) {
                        CompletableFuture<Void> responded = new CompletableFuture<>();
                        subscribe(shard, StartingPosition.builder().type(ShardIteratorType.LATEST).build(), responded);
                        answered.add(responded);
                    }
                    return CompletableFuture.allOf(answered.toArray(CompletableFuture[]::new));
                });
    }

    private CompletableFuture<Void> awaitActive(long deadline) {
        return client.describeStreamConsumer(b -> b.consumerARN(consumerArn)).thenCompose(d -> {
            if (d.consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE) {
                return CompletableFuture.completedFuture(null);
            }
            if (System.nanoTime() > deadline) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " never became ACTIVE"));
            }
            CompletableFuture<Void> later = new CompletableFuture<>();
            retries.schedule(() -> awaitActive(deadline).whenComplete((x, e) -> {
                if (e != null) {
                    later.completeExceptionally(e);
                } else {
                    later.complete(null);
                }
            }), 20, TimeUnit.MILLISECONDS);
            return later;
        });
    }

    private void subscribe(int shard, StartingPosition position, CompletableFuture<Void> responded) {
        String shardId = String.format("shardId-%012d", shard);
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onResponse(r -> responded.complete(null))
                .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                        .onSubscribeToShardEvent(e -> onEvent(shard, e)).build())
                .onComplete(() -> renew(shard))
                .onError(e -> {
                    responded.completeExceptionally(e);
                    ended(shard, e);
                })
                .build();
        calls.put(shard, client.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumerArn)
                .shardId(shardId).startingPosition(position).build(), handler));
    }

    private void onEvent(int shard, SubscribeToShardEvent event) {
        long now = System.nanoTime();
        for (Record r : event.records()) {
            checks.onFanOutRecord(shard, r.sequenceNumber(), r.partitionKey(), r.data().asByteArrayUnsafe(), now);
        }
        if (event.continuationSequenceNumber() != null) {
            continuation.put(shard, event.continuationSequenceNumber());
        }
    }

    /** A subscription ended normally: go on after its continuation number. */
    private void renew(int shard) {
        if (closing) {
            return;
        }
        String after = continuation.get(shard);
        StartingPosition position = after == null ? StartingPosition.builder().type(ShardIteratorType.LATEST).build()
                : StartingPosition.builder().type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after).build();
        subscribe(shard, position, new CompletableFuture<>());
    }

    private void ended(int shard, Throwable e) {
        if (closing) {
            return;
        }
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof ResourceInUseException) {
            // The previous subscription of this shard is still being torn down: try again in a moment.
            retries.schedule(() -> renew(shard), 500, TimeUnit.MILLISECONDS);
            return;
        }
        checks.fanOutError(name + " shard " + shard + ": " + cause);
    }

    /** Ends the subscriptions (the consumer is deleted with the stream). */
    void close() {
        closing = true;
        calls.values().forEach(c -> c.cancel(true));
    }

    /** A scheduler for consumers' retries and polls: one daemon thread. */
    static ScheduledExecutorService scheduler() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-fan-out");
            t.setDaemon(true);
            return t;
        });
    }
}
