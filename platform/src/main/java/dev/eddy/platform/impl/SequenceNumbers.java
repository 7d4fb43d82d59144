package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;

import java.math.BigInteger;

/**
 * Kinesis-style sequence numbers: 56-digit decimals made of {@code 49}, the stream's creation time in
 * epoch millis (13 digits), the shard index (21 digits) and the position in the shard (20 digits).
 * Strictly increasing within a shard (position); unique within a stream (shard index); every child
 * shard's numbers exceed its parents' (children get higher indexes); and a stream deleted and created
 * again under the same name never reuses a number (later creation time), so a checkpoint from the old
 * stream is rejected rather than silently pointing into the new one. Stateless, thread-safe.
 */
public final class SequenceNumbers {

    private static final int EPOCH_DIGITS = 13;
    private static final int SHARD_DIGITS = 21;
    private static final int POSITION_DIGITS = 20;
    private static final int LENGTH = 2 + EPOCH_DIGITS + SHARD_DIGITS + POSITION_DIGITS;

    private SequenceNumbers() {
    }

    /** The sequence number of {@code position} in shard {@code shardIndex} of a stream created at {@code epochMillis}. */
    public static String format(long epochMillis, int shardIndex, long position) {
        if (epochMillis < 0 || shardIndex < 0 || position < 0) {
            throw new IllegalArgumentException("negative creation time, shard index or position");
        }
        StringBuilder out = new StringBuilder(LENGTH).append("49");
        appendPadded(out, Long.toString(epochMillis), EPOCH_DIGITS);
        appendPadded(out, Integer.toString(shardIndex), SHARD_DIGITS);
        appendPadded(out, Long.toString(position), POSITION_DIGITS);
        return out.toString();
    }

    /**
     * The position that the sequence number names in shard {@code shardIndex} of the stream created at
     * {@code epochMillis}; INVALID_ARGUMENT when it is malformed or belongs to another shard or stream.
     */
    public static long position(String sequenceNumber, long epochMillis, int shardIndex, String shardId) {
        if (sequenceNumber == null || sequenceNumber.length() != LENGTH || !sequenceNumber.startsWith("49")
                || !allDigits(sequenceNumber)) {
            throw invalid(sequenceNumber, shardId);
        }
        int at = 2;
        long epoch = Long.parseLong(sequenceNumber.substring(at, at += EPOCH_DIGITS));
        String shard = sequenceNumber.substring(at, at += SHARD_DIGITS);
        String position = sequenceNumber.substring(at);
        if (epoch != epochMillis || !shard.equals(pad(Integer.toString(shardIndex), SHARD_DIGITS))
                || position.compareTo(pad(Long.toString(Long.MAX_VALUE), POSITION_DIGITS)) > 0) {
            throw invalid(sequenceNumber, shardId);
        }
        return Long.parseLong(position);
    }

    /**
     * The number just below the sequence number of the shard's first position: no record has it, and reading after
     * it (AFTER_SEQUENCE_NUMBER) starts at the shard's first position. It is what a reader that has read nothing of
     * a shard yet continues after (a fan-out subscription's continuation before its first record).
     */
    public static String beforeFirst(long epochMillis, int shardIndex) {
        return new BigInteger(format(epochMillis, shardIndex, 0)).subtract(BigInteger.ONE).toString();
    }

    /**
     * The position to read after for AFTER_SEQUENCE_NUMBER: {@link #position}, or -1 for the shard's
     * {@link #beforeFirst} number.
     */
    public static long positionToReadAfter(String sequenceNumber, long epochMillis, int shardIndex, String shardId) {
        if (sequenceNumber != null && sequenceNumber.equals(beforeFirst(epochMillis, shardIndex))) {
            return -1;
        }
        return position(sequenceNumber, epochMillis, shardIndex, shardId);
    }

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String pad(String digits, int width) {
        StringBuilder out = new StringBuilder(width);
        appendPadded(out, digits, width);
        return out.toString();
    }

    private static void appendPadded(StringBuilder out, String digits, int width) {
        for (int i = digits.length(); i < width; i++) {
            out.append('0');
        }
        out.append(digits);
    }

    private static PlatformException invalid(String sequenceNumber, String shardId) {
        return PlatformException.invalidArgument("Invalid StartingSequenceNumber. It encodes a different shardId than "
                + shardId + ", or is not a sequence number of this stream: " + sequenceNumber);
    }
}
