package dev.eddy.api.kinesis;

import dev.eddy.platform.FeedStart;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamConsumer;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SubscribeToShard, enhanced fan-out's push: validates the request at the edge, checks the consumer (registered,
 * ACTIVE) and the starting position (the shard exists, the sequence number is the shard's), then answers with a
 * {@link ShardSubscription}. One subscription per consumer and shard is active at a time, as on Kinesis: a second
 * call within 5 seconds of the first is refused with ResourceInUseException; a later one takes over, and the
 * earlier subscription ends with a ResourceInUseException event. Thread-safe.
 */
final class FanOutActions {

    /** Within this long after a subscription started, another one for the same consumer and shard is refused. */
    static final long TAKEOVER_AFTER_MILLIS = 5_000;

    /** A subscription in the registry, with when it started. */
    private record Active(ShardSubscription subscription, long startedMillis) {
    }

    private final Streams streams;
    private final StreamMetrics metrics;
    private final Clock clock;
    private final long lifetimeMillis;
    private final ConcurrentHashMap<String, Active> active = new ConcurrentHashMap<>();

    FanOutActions(Streams streams, StreamMetrics metrics, Clock clock, long lifetimeMillis) {
        this.streams = streams;
        this.metrics = metrics;
        this.clock = clock;
        this.lifetimeMillis = lifetimeMillis;
    }

    Future<Reply> subscribeToShard(Params p) {
        String consumerArn = p.string("ConsumerARN");
        String shardId = p.string("ShardId");
        Params position = p.has("StartingPosition") ? p.object("StartingPosition") : null;
        String type = position == null ? null : position.string("Type");
        String sequence = position == null ? null : position.string("SequenceNumber");
        Long timestamp = position == null ? null : position.timestampMillis("Timestamp");
        Validator v = new Validator()
                .required("consumerARN", consumerArn).length("consumerARN", consumerArn, 1, 2048)
                .pattern("consumerARN", consumerArn, ConsumerActions.CONSUMER_ARN)
                .required("shardId", shardId).shardId("shardId", shardId)
                .required("startingPosition", position);
        if (position != null) {
            v.required("startingPosition.type", type).oneOf("startingPosition.type", type, IteratorType.class)
                    .pattern("startingPosition.sequenceNumber", sequence, Validator.Patterns.SEQUENCE_NUMBER);
        }
        v.check();
        IteratorType iteratorType = IteratorType.valueOf(type);
        FeedStart start = switch (iteratorType) {
            case AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER -> {
                if (sequence == null) {
                    throw KinesisException.invalidArgument("StartingPosition.SequenceNumber is required for the "
                            + iteratorType + " StartingPosition type.");
                }
                yield iteratorType == IteratorType.AT_SEQUENCE_NUMBER ? FeedStart.atSequenceNumber(sequence)
                        : FeedStart.afterSequenceNumber(sequence);
            }
            case AT_TIMESTAMP -> {
                if (timestamp == null) {
                    throw KinesisException.invalidArgument(
                            "StartingPosition.Timestamp is required for the AT_TIMESTAMP StartingPosition type.");
                }
                yield FeedStart.atTimestamp(Math.max(0, timestamp));
            }
            case TRIM_HORIZON -> FeedStart.trimHorizon();
            case LATEST -> FeedStart.latest();
        };
        return streams.consumers().describe(consumerArn, null, null).compose(consumer -> {
            if (consumer.status() != StreamConsumer.Status.ACTIVE) {
                return Future.failedFuture(new KinesisException("ResourceInUseException", 400, "Consumer "
                        + consumerArn + " is not ACTIVE, instead in state " + consumer.status() + "."));
            }
            String stream = streams.streamNameFromArn(consumer.streamArn());
            // The starting position is checked as GetShardIterator checks it: the shard exists, the number is its.
            return streams.getShardIterator(new ShardIteratorRequest(stream, shardId, iteratorType,
                            start.sequenceNumber(), timestamp))
                    .map(iterator -> register(consumerArn, stream, shardId, start));
        });
    }

    private Reply register(String consumerArn, String stream, String shardId, FeedStart start) {
        String key = consumerArn + '\n' + shardId;
        long now = clock.millis();
        ShardSubscription[] created = new ShardSubscription[1];
        Active[] replaced = new Active[1];
        active.compute(key, (k, old) -> {
            if (old != null && now - old.startedMillis() < TAKEOVER_AFTER_MILLIS) {
                throw new KinesisException("ResourceInUseException", 400, "Another active subscription exists for"
                        + " consumer " + consumerArn + " and shard " + shardId + "; subscribe again 5 seconds or more"
                        + " after it started to take it over.");
            }
            replaced[0] = old;
            ShardSubscription[] self = new ShardSubscription[1];
            self[0] = new ShardSubscription(streams, metrics, stream, shardId, start, lifetimeMillis,
                    () -> active.computeIfPresent(key, (k2, current) -> current.subscription() == self[0] ? null
                            : current));
            created[0] = self[0];
            return new Active(self[0], now);
        });
        if (replaced[0] != null) {
            replaced[0].subscription().replaced();
        }
        return created[0];
    }
}
