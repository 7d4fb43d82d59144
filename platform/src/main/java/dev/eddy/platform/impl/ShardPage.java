package dev.eddy.platform.impl;

import dev.eddy.platform.ChildShard;
import dev.eddy.platform.Record;

import java.util.List;

/**
 * One read of a shard by position. Immutable.
 *
 * @param records            the records, in order, at consecutive positions ending just before {@code nextPosition}
 * @param nextPosition       where the next read starts
 * @param caughtUp           whether the read reached the shard's newest record
 * @param millisBehindLatest how far the last record read is behind the newest one
 * @param children           once a closed shard is read to its end, its children; else {@code null}
 */
record ShardPage(List<Record> records, long nextPosition, boolean caughtUp, long millisBehindLatest,
                 List<ChildShard> children) {

    boolean ended() {
        return children != null;
    }

    /** The position of {@code records().get(i)}. */
    long position(int i) {
        return nextPosition - records.size() + i;
    }
}
