package dev.eddy.eventstore.impl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 128-bit identity of a partition key or an event id in the on-disk key index: MD5 of a kind byte and the
 * UTF-8 string. Thread-safe (one digest per thread).
 *
 * <p>The index stores hashes instead of strings so its entries have a fixed size. Two different keys of one log
 * would have to collide in 128 bits to be confused; at a billion keys the chance is about 10^-21.
 */
record KeyHash(long hi, long lo) {

    /** Kind byte of a partition key's entries. */
    static final byte KEY = 'k';
    /** Kind byte of an event id's entry. */
    static final byte EVENT_ID = 'e';

    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no MD5", e);
        }
    });

    static KeyHash ofKey(String key) {
        return of(KEY, key);
    }

    static KeyHash ofEventId(String eventId) {
        return of(EVENT_ID, eventId);
    }

    private static KeyHash of(byte kind, String s) {
        MessageDigest md = MD5.get();
        md.update(kind);
        md.update(s.getBytes(StandardCharsets.UTF_8));
        byte[] d = md.digest();
        return new KeyHash(longAt(d, 0), longAt(d, 8));
    }

    private static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }
}
