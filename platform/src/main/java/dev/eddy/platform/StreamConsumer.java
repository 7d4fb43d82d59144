package dev.eddy.platform;

/**
 * An enhanced fan-out consumer registered on a stream (RegisterStreamConsumer). Immutable.
 *
 * @param name          the consumer's name, unique within its stream
 * @param arn           {@code <stream ARN>/consumer/<name>:<creation epoch seconds>}
 * @param status        CREATING, ACTIVE or DELETING
 * @param createdMillis when it was registered, epoch millis
 * @param streamArn     its stream's ARN
 */
public record StreamConsumer(String name, String arn, Status status, long createdMillis, String streamArn) {

    public enum Status { CREATING, ACTIVE, DELETING }

    public StreamConsumer withStatus(Status newStatus) {
        return new StreamConsumer(name, arn, newStatus, createdMillis, streamArn);
    }
}
