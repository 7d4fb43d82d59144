package dev.eddy.eventstore.spi;

/**
 * What an append assigned. Immutable by convention (the arrays are not to be modified).
 *
 * @param positions     each record's position in the log, in batch order (contiguous for a fresh append)
 * @param versions      each record's version within its key, in batch order
 * @param arrivalMillis the arrival timestamp stored with the records
 * @param duplicate     true when every record carried an event id that was already stored: nothing was
 *                      appended and this is the original append's result (an idempotent retry)
 */
public record AppendResult(long[] positions, long[] versions, long arrivalMillis, boolean duplicate) {

    public int count() {
        return positions.length;
    }

    public long firstPosition() {
        return positions[0];
    }
}
