package dev.eddy.eventstore.mapdb;

/**
 * Where a batch and its key section lie in the {@link SegmentLog}, in the form MapDB stores it: {@code {segment,
 * batch offset, batch length, key section offset, key section length}}. Stateless.
 */
final class Location {

    private Location() {
    }

    static long[] of(long segment, long batchOffset, int batchLength, long keyOffset, int keyLength) {
        return new long[] {segment, batchOffset, batchLength, keyOffset, keyLength};
    }

    static long segmentOf(long[] location) {
        return location[0];
    }
}
