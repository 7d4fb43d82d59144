package dev.eddy.eventstore.impl;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The encoded batches committed most recently, kept in memory up to a byte budget (oldest out first), so
 * that readers following the head of a log (live subscriptions, tailing GetRecords) are answered without
 * touching storage or leaving their thread. Keys are the log's index object (a re-created log gets a new
 * one) and the batch's first position; blobs are never modified. Thread-safe: the writer adds, any thread
 * reads.
 */
final class RecentBatches {

    private record Key(LogIndex log, long first) {
    }

    private final long budgetBytes;
    private final ConcurrentMap<Key, byte[]> blobs = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Key> order = new ConcurrentLinkedQueue<>();
    private final AtomicLong bytes = new AtomicLong();

    RecentBatches(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** Remembers a committed batch, forgetting the oldest ones over the budget. Writer thread. */
    void add(LogIndex log, long first, byte[] blob) {
        if (blob.length > budgetBytes / 4) {
            return;
        }
        Key key = new Key(log, first);
        if (blobs.putIfAbsent(key, blob) != null) {
            return;
        }
        order.add(key);
        long total = bytes.addAndGet(blob.length);
        while (total > budgetBytes) {
            Key oldest = order.poll();
            if (oldest == null) {
                break;
            }
            byte[] gone = blobs.remove(oldest);
            total = gone == null ? bytes.get() : bytes.addAndGet(-gone.length);
        }
    }

    /** The batch, or {@code null} when it is not (or no longer) in memory. */
    byte[] get(LogIndex log, long first) {
        return blobs.get(new Key(log, first));
    }
}
