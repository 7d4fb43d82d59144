package dev.eddy.eventstore.spi;

import java.util.List;

/**
 * Records read from a log by position. Immutable.
 *
 * @param records      the records, in position order
 * @param nextPosition where the next read should start: after the last record returned, or, when none
 *                     was returned, the (possibly trim-adjusted) requested position
 * @param state        the log's bounds at the time of the read (for "behind latest" figures)
 */
public record ReadResult(List<StoredRecord> records, long nextPosition, LogState state) {
}
