package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Kinesis actions by name: {@code X-Amz-Target: Kinesis_20131202.<Action>} picks one, which decodes
 * its body and answers. This is the one place that chooses how a body is read: PutRecord and PutRecords
 * with the streaming decoders (falling back to the tree for any body that is not plain), every other
 * action as a tree. Thread-safe.
 */
public final class KinesisApi {

    /** The target prefix of the Kinesis Data Streams API version this server speaks. */
    public static final String TARGET_PREFIX = "Kinesis_20131202.";

    /** How one action reads its body. */
    @FunctionalInterface
    interface Action {
        /** Decodes the body; throws the wire error of a body that cannot be read. */
        Call decode(WireFormat format, byte[] body, int length);
    }

    /**
     * A request decoded for its action, ready to run.
     *
     * @param stream the stream the request names, for the metrics, or {@code null}
     * @param work   runs the action
     */
    record Call(String stream, Supplier<Future<Reply>> work) {
        /** Runs the action; every failure, thrown or in the future, comes back as a failed future. */
        Future<Reply> run() {
            try {
                return work.get();
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        }
    }

    private final Map<String, Action> actions;

    public KinesisApi(Streams streams, Clock clock, StreamMetrics metrics) {
        this(streams, clock, metrics, ShardSubscription.LIFETIME_MILLIS);
    }

    /** With SubscribeToShard subscriptions lasting {@code fanOutLifetimeMillis} instead of Kinesis's 5 minutes (tests). */
    KinesisApi(Streams streams, Clock clock, StreamMetrics metrics, long fanOutLifetimeMillis) {
        StreamActions s = new StreamActions(streams, clock);
        RecordActions r = new RecordActions(streams, metrics);
        ConsumerActions c = new ConsumerActions(streams, clock);
        FanOutActions f = new FanOutActions(streams, metrics, clock, fanOutLifetimeMillis);
        Action putRecordTree = tree(p -> r.putRecord(PutRecordRequest.of(p)));
        Action putRecordsTree = tree(p -> r.putRecords(PutRecordsRequest.of(p)));
        this.actions = Map.ofEntries(
                Map.entry("CreateStream", treeOf(s::createStream)),
                Map.entry("DeleteStream", treeOf(s::deleteStream)),
                Map.entry("DescribeStream", treeOf(s::describeStream)),
                Map.entry("DescribeStreamSummary", treeOf(s::describeStreamSummary)),
                Map.entry("ListStreams", treeOf(s::listStreams)),
                Map.entry("ListShards", treeOf(s::listShards)),
                Map.entry("IncreaseStreamRetentionPeriod", treeOf(s::increaseStreamRetentionPeriod)),
                Map.entry("DecreaseStreamRetentionPeriod", treeOf(s::decreaseStreamRetentionPeriod)),
                Map.entry("SplitShard", treeOf(s::splitShard)),
                Map.entry("MergeShards", treeOf(s::mergeShards)),
                Map.entry("UpdateShardCount", treeOf(s::updateShardCount)),
                Map.entry("RegisterStreamConsumer", treeOf(c::registerStreamConsumer)),
                Map.entry("DescribeStreamConsumer", treeOf(c::describeStreamConsumer)),
                Map.entry("ListStreamConsumers", treeOf(c::listStreamConsumers)),
                Map.entry("DeregisterStreamConsumer", treeOf(c::deregisterStreamConsumer)),
                Map.entry("SubscribeToShard", tree(f::subscribeToShard)),
                Map.entry("PutRecord", (format, body, length) -> {
                    PutRecordRequest request = PutRecordDecoder.decode(format, body, length);
                    return request == null ? putRecordTree.decode(format, body, length)
                            : new Call(BodyTree.streamOf(request.streamName(), request.streamArn()),
                                    () -> r.putRecord(request));
                }),
                Map.entry("PutRecords", (format, body, length) -> {
                    PutRecordsRequest request = PutRecordsDecoder.decode(format, body, length);
                    return request == null ? putRecordsTree.decode(format, body, length)
                            : new Call(BodyTree.streamOf(request.streamName(), request.streamArn()),
                                    () -> r.putRecords(request));
                }),
                Map.entry("GetShardIterator", treeOf(r::getShardIterator)),
                Map.entry("GetRecords", tree(r::getRecords)));
    }

    /** Decodes a request for the action (which must be supported, see {@link #supports}). */
    Call decode(String action, WireFormat format, byte[] body, int length) {
        Action handler = actions.get(action);
        if (handler == null) {
            throw KinesisException.unknownOperation("Operation " + action + " is not supported by this server.");
        }
        return handler.decode(format, body, length);
    }

    /** Whether the action is implemented. */
    public boolean supports(String action) {
        return actions.containsKey(action);
    }

    /** An action that reads its body as a tree and answers with a reply. */
    private static Action tree(Function<Params, Future<Reply>> handler) {
        return (format, body, length) -> {
            ObjectNode tree = BodyTree.parse(format, body, length);
            Params params = new Params(tree, format);
            return new Call(BodyTree.streamOf(tree), () -> handler.apply(params));
        };
    }

    /** An action that reads its body as a tree and answers with a tree. */
    private static Action treeOf(Function<Params, Future<ObjectNode>> handler) {
        return tree(p -> handler.apply(p).map(Reply::of));
    }
}
