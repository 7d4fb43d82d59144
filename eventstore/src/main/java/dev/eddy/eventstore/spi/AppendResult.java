package dev.eddy.eventstore.spi;

/**
 * What an append assigned. Immutable by convention (the arrays are not to be modified).
 *
 * @param positions     each record's position in the log, in batch order (contiguous for a fresh append)
 * @param versions      each record's version within its key, in batch order
 * @param arrivalMillis the arrival timestamp stored with the records
 * @param duplicate     true when every record carried an event id that was already stored: nothing was
 *                      appended and this is the original append's result (an idempotent retry)
 * @param log           for a duplicate found in an ancestor of the log (see {@link LogLineage}), that ancestor,
 *                      which {@code positions} refer to; else {@code null}: the log appended to
 */
public record AppendResult(long[] positions, long[] versions, long arrivalMillis, boolean duplicate, String log) {

    /** The result of an append to, or a retry answered by, the log appended to. */
    public AppendResult(long[] positions, long[] versions, long arrivalMillis, boolean duplicate) {
        this(positions, versions, arrivalMillis, duplicate, null);
    }

    public int count() {
        return positions.length;
    }

    public long firstPosition() {
        return positions[0];
    }
}
