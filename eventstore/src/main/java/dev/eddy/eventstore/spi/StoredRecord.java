package dev.eddy.eventstore.spi;

import java.util.Map;

/**
 * A record as stored in a log. Immutable; {@code data} must not be modified by readers.
 *
 * @param position      0-based position within its log (the shard-local offset)
 * @param partitionKey  the partition key (aggregate id)
 * @param data          the record's bytes, exactly as appended
 * @param arrivalMillis the server's arrival timestamp, epoch millis; non-decreasing within a log
 * @param version       0-based position of this record among its key's records in the log
 * @param eventId       idempotency id or {@code null}
 * @param eventType     event type or {@code null}
 * @param metadata      string headers, never null
 */
public record StoredRecord(long position, String partitionKey, byte[] data, long arrivalMillis, long version,
                           String eventId, String eventType, Map<String, String> metadata) {

    /** Bytes this record counts against a read's byte limit: key plus data, as Kinesis counts. */
    public long size() {
        return (long) data.length + partitionKey.length();
    }
}
