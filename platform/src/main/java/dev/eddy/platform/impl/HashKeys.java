package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The 128-bit hash-key space: MD5 routing and even range splits. Stateless and thread-safe. */
public final class HashKeys {

    /** 2^128, one past the largest hash key. */
    public static final BigInteger SPACE = BigInteger.ONE.shiftLeft(128);
    public static final BigInteger MAX = SPACE.subtract(BigInteger.ONE);

    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks MD5", e);
        }
    });

    private HashKeys() {
    }

    /** MD5 of the UTF-8 partition key as an unsigned 128-bit integer, as Kinesis routes. */
    public static BigInteger ofPartitionKey(String partitionKey) {
        byte[] digest = MD5.get().digest(partitionKey.getBytes(StandardCharsets.UTF_8));
        return new BigInteger(1, digest);
    }

    /** Parses an ExplicitHashKey; INVALID_ARGUMENT unless it is a decimal in 0..2^128-1. */
    public static BigInteger parseExplicit(String explicitHashKey) {
        BigInteger value;
        try {
            value = new BigInteger(explicitHashKey);
        } catch (NumberFormatException e) {
            throw PlatformException.invalidArgument("Invalid ExplicitHashKey '" + explicitHashKey
                    + "': it must be a decimal integer between 0 and 2^128 - 1.");
        }
        if (value.signum() < 0 || value.compareTo(MAX) > 0) {
            throw PlatformException.invalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
                    + explicitHashKey);
        }
        return value;
    }

    /** The first hash key of range {@code i} when the space is split evenly into {@code n}. */
    public static BigInteger rangeStart(int i, int n) {
        return SPACE.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(n));
    }

    /** The last hash key (inclusive) of range {@code i} of {@code n}. */
    public static BigInteger rangeEnd(int i, int n) {
        return rangeStart(i + 1, n).subtract(BigInteger.ONE);
    }
}
