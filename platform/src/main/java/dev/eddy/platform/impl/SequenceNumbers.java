package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;

import java.math.BigInteger;

/**
 * Kinesis-style sequence numbers: 56-digit decimals {@code 49 * 10^54 + shardIndex * 10^20 + position}.
 * Strictly increasing within a shard (position), unique within a stream (shard index), and every child
 * shard's numbers exceed its parents' because children get higher shard indexes. Stateless, thread-safe.
 */
public final class SequenceNumbers {

    private static final BigInteger PREFIX = BigInteger.valueOf(49).multiply(BigInteger.TEN.pow(54));
    private static final BigInteger SHARD_FACTOR = BigInteger.TEN.pow(20);
    private static final BigInteger MAX_SHARDS = BigInteger.TEN.pow(12);

    private SequenceNumbers() {
    }

    /** Same value as {@code PREFIX + shardIndex * 10^20 + position}, built without big-integer math (hot path). */
    public static String format(int shardIndex, long position) {
        if (shardIndex < 0 || position < 0) {
            throw new IllegalArgumentException("negative shard index or position");
        }
        StringBuilder out = new StringBuilder(56).append("49");
        appendPadded(out, Integer.toString(shardIndex), 34);
        appendPadded(out, Long.toString(position), 20);
        return out.toString();
    }

    private static void appendPadded(StringBuilder out, String digits, int width) {
        for (int i = digits.length(); i < width; i++) {
            out.append('0');
        }
        out.append(digits);
    }

    /** The position inside {@code shardIndex} that the sequence number names; INVALID_ARGUMENT otherwise. */
    public static long position(String sequenceNumber, int shardIndex, String shardId) {
        BigInteger value;
        try {
            value = new BigInteger(sequenceNumber);
        } catch (NumberFormatException e) {
            throw invalid(sequenceNumber, shardId);
        }
        BigInteger rest = value.subtract(PREFIX);
        if (rest.signum() < 0) {
            throw invalid(sequenceNumber, shardId);
        }
        BigInteger[] parts = rest.divideAndRemainder(SHARD_FACTOR);
        if (parts[0].compareTo(MAX_SHARDS) >= 0 || parts[0].intValue() != shardIndex
                || parts[1].bitLength() > 63) {
            throw invalid(sequenceNumber, shardId);
        }
        return parts[1].longValue();
    }

    private static PlatformException invalid(String sequenceNumber, String shardId) {
        return PlatformException.invalidArgument("Invalid StartingSequenceNumber. It encodes a different shardId than "
                + shardId + ", or is not a sequence number of this stream: " + sequenceNumber);
    }
}
