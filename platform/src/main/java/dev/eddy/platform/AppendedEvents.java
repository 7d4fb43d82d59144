package dev.eddy.platform;

import java.util.List;

/**
 * The result of appending events to one aggregate. Immutable.
 *
 * @param results   one result per event, in order (shard, sequence number, version)
 * @param duplicate true when every event carried an id that was already stored: nothing was appended and
 *                  these are the original results (an idempotent retry)
 */
public record AppendedEvents(List<PutResult> results, boolean duplicate) {
}
