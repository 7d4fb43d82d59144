package dev.eddy.eventstore.spi;

import java.util.Map;
import java.util.Objects;

/**
 * A record to be appended to a log: the Kinesis fields (partition key, data) plus the optional
 * event-sourcing fields (event id for idempotency, event type, string metadata). Immutable.
 *
 * @param partitionKey the partition key, also the aggregate id whose version the record advances
 * @param data         the record's bytes, returned exactly as given (may be empty, never null)
 * @param eventId      an idempotency id, unique within the log, or {@code null}
 * @param eventType    an event type, or {@code null}
 * @param metadata     string headers, never null (empty when absent)
 */
public record NewRecord(String partitionKey, byte[] data, String eventId, String eventType,
                        Map<String, String> metadata) {

    public NewRecord {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(data, "data");
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A plain Kinesis record: key and data, no event fields. */
    public static NewRecord of(String partitionKey, byte[] data) {
        return new NewRecord(partitionKey, data, null, null, Map.of());
    }
}
