package dev.eddy.bench;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.BitSet;

/**
 * What one shard's records, read in order, say about correctness. Used by one reader thread; merged by
 * {@link Verification} afterwards.
 */
final class ShardCheck {

    final String shardId;
    final BitSet seen = new BitSet();
    final BitSet keysSeen = new BitSet();
    private final long[] lastCounter;
    private final long expectedRecords;
    private final int keys;
    private BigInteger lastSequence;
    long records;
    long bytes;
    long duplicated;
    long corrupted;
    long reordered;
    long nonIncreasing;

    ShardCheck(String shardId, long expectedRecords, int keys) {
        this.shardId = shardId;
        this.expectedRecords = expectedRecords;
        this.keys = keys;
        this.lastCounter = new long[keys];
        Arrays.fill(lastCounter, -1);
    }

    /** Checks the next record of the shard. */
    void accept(String sequenceNumber, String partitionKey, byte[] data) {
        records++;
        bytes += data.length;
        BigInteger sequence = parseSequence(sequenceNumber);
        if (sequence == null || lastSequence != null && sequence.compareTo(lastSequence) <= 0) {
            nonIncreasing++;
        }
        if (sequence != null && (lastSequence == null || sequence.compareTo(lastSequence) > 0)) {
            lastSequence = sequence;
        }
        BenchRecord.Header header = BenchRecord.decode(data);
        if (!header.valid() || header.recordId() < 0 || header.recordId() >= expectedRecords
                || header.keyIndex() < 0 || header.keyIndex() >= keys
                || header.recordId() % keys != header.keyIndex()
                || header.recordId() / keys != header.keyCounter()
                || !BenchRecord.partitionKey(header.keyIndex()).equals(partitionKey)) {
            corrupted++;
            return;
        }
        int id = (int) header.recordId();
        if (seen.get(id)) {
            duplicated++;
            return;
        }
        seen.set(id);
        keysSeen.set(header.keyIndex());
        int key = header.keyIndex();
        if (header.keyCounter() < lastCounter[key]) {
            reordered++;
        } else {
            lastCounter[key] = header.keyCounter();
        }
    }

    private static BigInteger parseSequence(String text) {
        try {
            return text == null ? null : new BigInteger(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
