package dev.eddy.platform;

import java.util.Map;

/**
 * One record to put. Immutable.
 *
 * @param partitionKey    the partition key (1..256 Unicode characters)
 * @param explicitHashKey a decimal hash key in 0..2^128-1 overriding MD5(partition key), or {@code null}
 * @param data            the data blob (may be empty)
 * @param eventId         idempotency id or {@code null} (event-sourcing API)
 * @param eventType       event type or {@code null}
 * @param metadata        string headers, never null
 */
public record PutEntry(String partitionKey, String explicitHashKey, byte[] data,
                       String eventId, String eventType, Map<String, String> metadata) {

    public PutEntry {
        metadata = metadata == null ? Map.of() : metadata;
    }

    /** A plain Kinesis entry. */
    public static PutEntry of(String partitionKey, String explicitHashKey, byte[] data) {
        return new PutEntry(partitionKey, explicitHashKey, data, null, null, Map.of());
    }
}
