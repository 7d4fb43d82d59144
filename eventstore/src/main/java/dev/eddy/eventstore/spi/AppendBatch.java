package dev.eddy.eventstore.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One atomic append to one log: all records land, contiguously and in order, or none do. Immutable.
 *
 * @param records       the records, at least one
 * @param expectations  per-key version conditions checked inside the same atomic append; empty for none
 * @param arrivalMillis the arrival timestamp to stamp on the records (the store raises it to keep
 *                      timestamps non-decreasing within the log)
 */
public record AppendBatch(List<NewRecord> records, Map<String, ExpectedVersion> expectations, long arrivalMillis) {

    public AppendBatch {
        Objects.requireNonNull(records, "records");
        if (records.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one record");
        }
        records = List.copyOf(records);
        expectations = expectations == null ? Map.of() : Map.copyOf(expectations);
    }

    /** An unconditional append. */
    public static AppendBatch of(List<NewRecord> records, long arrivalMillis) {
        return new AppendBatch(records, Map.of(), arrivalMillis);
    }
}
