package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.impl.BatchStorage;

/**
 * Where a batch and its key section lie in the {@link SegmentLog}, with the batch's meta, in the form MapDB stores
 * it: {@code {segment, batch offset, batch length, key section offset, key section length, record count, arrival
 * millis, data bytes}}. Stateless.
 */
final class Location {

    private Location() {
    }

    static long[] of(long segment, long batchOffset, int batchLength, long keyOffset, int keyLength, long[] meta) {
        return new long[] {segment, batchOffset, batchLength, keyOffset, keyLength, meta[0], meta[1], meta[2]};
    }

    static BatchStorage.BatchMeta metaOf(long first, long[] location) {
        return new BatchStorage.BatchMeta(first, (int) location[5], location[6], location[7]);
    }

    static long segmentOf(long[] location) {
        return location[0];
    }

    /** The batch's bytes, or {@code null} if its segment is gone. */
    static byte[] readBatchBlocking(SegmentLog log, long[] location) {
        return log.readBlocking(location[0], location[1], (int) location[2]);
    }

    /** The key section's bytes, or {@code null} if its segment is gone. */
    static byte[] readKeySectionBlocking(SegmentLog log, long[] location) {
        return log.readBlocking(location[0], location[3], (int) location[4]);
    }
}
