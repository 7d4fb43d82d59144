package dev.eddy.eventstore.impl;

import java.util.Arrays;

/**
 * The positions of one partition key's retained records in a log's in-memory key table, in version order. Not
 * thread-safe: guarded by its {@link LogIndex} while the table is live; never changed once the table is frozen
 * ({@link KeyIndex.Frozen}), when any thread may read it.
 */
final class KeyHistory {

    /** Version of {@code positions[start]}, or the next version when no position is retained. */
    private long baseVersion;
    private long[] positions = new long[2];
    private int start;
    private int end;

    KeyHistory(long baseVersion) {
        this.baseVersion = baseVersion;
    }

    /** The version the next record of this key gets. */
    long nextVersion() {
        return baseVersion + (end - start);
    }

    void add(long position) {
        if (end == positions.length) {
            if (start > 0 && start >= positions.length / 2) {
                System.arraycopy(positions, start, positions, 0, end - start);
                end -= start;
                start = 0;
            } else {
                positions = Arrays.copyOf(positions, positions.length * 2);
            }
        }
        positions[end++] = position;
    }

    boolean isEmpty() {
        return start == end;
    }

    /** The number of retained positions. */
    int size() {
        return end - start;
    }

    /**
     * Gives {@code (version, position)} of the records from {@code fromVersion} on at positions from
     * {@code minPosition} on, at most {@code max}, in order.
     */
    void forEach(long fromVersion, long minPosition, int max, KeyTable.EntryConsumer out) {
        long from = Math.max(fromVersion, baseVersion);
        long offset = from - baseVersion;
        if (offset >= end - start) {
            return;
        }
        int i = Math.max(start + (int) offset, start + countBelow(minPosition));
        int stop = (int) Math.min(end, i + (long) max);
        for (; i < stop; i++) {
            out.accept(baseVersion + (i - start), positions[i]);
        }
    }

    /** The version of the key's last record below {@code limit}, or {@code baseVersion - 1}. */
    long lastVersionBelow(long limit) {
        return baseVersion + countBelow(limit) - 1;
    }

    /** The version of the record at {@code position}, or -1 when it is not one of this key's. */
    long versionAt(long position) {
        int i = Arrays.binarySearch(positions, start, end, position);
        return i < 0 ? -1 : baseVersion + (i - start);
    }

    /** Drops positions below the horizon (their versions stay counted). */
    void trimBelow(long horizon) {
        int n = countBelow(horizon);
        start += n;
        baseVersion += n;
    }

    private int countBelow(long limit) {
        if (start == end || positions[end - 1] < limit) {
            return end - start;
        }
        int i = Arrays.binarySearch(positions, start, end, limit);
        return (i < 0 ? -i - 1 : i) - start;
    }
}
