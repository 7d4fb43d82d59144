package dev.eddy.platform;

import io.vertx.core.Future;

import java.util.List;
import java.util.Map;

/**
 * The enhanced fan-out consumers of every stream: registered CREATING, ACTIVE soon after, DELETING when
 * deregistered, then gone; deleted with their stream. Kept in the store's metadata, so they survive restarts.
 * Failures are {@link PlatformException}s with Kinesis's kinds and messages. Thread-safe; no method blocks.
 */
public interface Consumers {

    /** At most this many consumers per stream, as on Kinesis. */
    int MAX_PER_STREAM = 20;

    /** Registers a consumer (CREATING); RESOURCE_IN_USE if the name is taken, LIMIT_EXCEEDED beyond 20. */
    default Future<StreamConsumer> register(String streamArn, String consumerName) {
        return register(streamArn, consumerName, Map.of());
    }

    /** Registers a consumer with tags (CREATING, then ACTIVE). */
    Future<StreamConsumer> register(String streamArn, String consumerName, Map<String, String> tags);

    /** The consumer named by its ARN, or by its stream's ARN and its name (the ARN wins when both are given). */
    Future<StreamConsumer> describe(String consumerArn, String streamArn, String consumerName);

    /** The stream's consumers, by name. */
    Future<List<StreamConsumer>> list(String streamArn);

    /** Deregisters the consumer (DELETING, then gone). */
    Future<Void> deregister(String consumerArn, String streamArn, String consumerName);
}
