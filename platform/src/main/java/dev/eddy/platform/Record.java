package dev.eddy.platform;

import java.util.Map;

/**
 * A record as GetRecords returns it, plus its event-sourcing fields. Immutable by convention.
 *
 * @param sequenceNumber the sequence number (decimal)
 * @param arrivalMillis  approximate arrival timestamp, epoch millis
 * @param data           the data blob
 * @param partitionKey   the partition key
 * @param version        the record's 0-based version within its partition key
 * @param eventId        idempotency id or {@code null}
 * @param eventType      event type or {@code null}
 * @param metadata       string headers, never null
 */
public record Record(String sequenceNumber, long arrivalMillis, byte[] data, String partitionKey, long version,
                     String eventId, String eventType, Map<String, String> metadata) {
}
