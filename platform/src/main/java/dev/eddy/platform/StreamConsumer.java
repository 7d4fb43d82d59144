package dev.eddy.platform;

import java.util.Map;

/**
 * An enhanced fan-out consumer registered on a stream (RegisterStreamConsumer). Immutable.
 *
 * @param name          the consumer's name, unique within its stream
 * @param arn           {@code <stream ARN>/consumer/<name>:<creation epoch seconds>}
 * @param status        CREATING, ACTIVE or DELETING
 * @param createdMillis when it was registered, epoch millis
 * @param streamArn     its stream's ARN
 * @param tags          the tags it was registered with (empty when none)
 */
public record StreamConsumer(String name, String arn, Status status, long createdMillis, String streamArn,
                             Map<String, String> tags) {

    public enum Status { CREATING, ACTIVE, DELETING }

    public StreamConsumer {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    public StreamConsumer withStatus(Status newStatus) {
        return new StreamConsumer(name, arn, newStatus, createdMillis, streamArn, tags);
    }
}
