package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.Map;
import java.util.function.Function;

/**
 * The Kinesis actions by name: {@code X-Amz-Target: Kinesis_20131202.<Action>} picks one, which takes the
 * parsed body and answers with a response tree. Thread-safe.
 */
public final class KinesisApi {

    /** The target prefix of the Kinesis Data Streams API version this server speaks. */
    public static final String TARGET_PREFIX = "Kinesis_20131202.";

    private final Map<String, Function<Params, Future<ObjectNode>>> actions;

    public KinesisApi(Streams streams, Clock clock, StreamMetrics metrics) {
        StreamActions s = new StreamActions(streams, clock);
        RecordActions r = new RecordActions(streams, metrics);
        this.actions = Map.of(
                "CreateStream", s::createStream,
                "DeleteStream", s::deleteStream,
                "DescribeStream", s::describeStream,
                "DescribeStreamSummary", s::describeStreamSummary,
                "ListStreams", s::listStreams,
                "ListShards", s::listShards,
                "PutRecord", r::putRecord,
                "PutRecords", r::putRecords,
                "GetShardIterator", r::getShardIterator,
                "GetRecords", r::getRecords);
    }

    /** Runs the action; every failure, thrown or in the future, comes back as a failed future. */
    public Future<ObjectNode> invoke(String action, Params params) {
        Function<Params, Future<ObjectNode>> handler = actions.get(action);
        if (handler == null) {
            return Future.failedFuture(KinesisException.unknownOperation("Operation " + action
                    + " is not supported by this server."));
        }
        try {
            return handler.apply(params);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** Whether the action is implemented. */
    public boolean supports(String action) {
        return actions.containsKey(action);
    }
}
