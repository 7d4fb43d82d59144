package dev.eddy.platform.impl;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;

/**
 * Opaque, tamper-evident shard iterators: the position they name, the stream incarnation and the issue
 * time, signed with HMAC-SHA256 under a key kept in the store (so iterators survive restarts). Expiry is
 * judged by the injected clock. Thread-safe.
 */
public final class ShardIterators {

    private static final byte FORMAT = 1;
    private static final int MAC_BYTES = 16;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final ThreadLocal<Mac> mac;
    private final Clock clock;
    private final Duration ttl;

    public ShardIterators(byte[] key, Clock clock, Duration ttl) {
        SecretKeySpec spec = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(spec);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is unavailable", e);
            }
        });
        this.clock = clock;
        this.ttl = ttl;
    }

    /** What an iterator names. */
    public record Position(String stream, String streamUid, int shardIndex, long position, long issuedMillis) {
    }

    public String issue(String stream, String streamUid, int shardIndex, long position) {
        byte[] name = stream.getBytes(StandardCharsets.UTF_8);
        byte[] uid = streamUid.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(1 + 2 + name.length + 2 + uid.length + 4 + 8 + 8 + MAC_BYTES);
        buf.put(FORMAT).putShort((short) name.length).put(name).putShort((short) uid.length).put(uid)
                .putInt(shardIndex).putLong(position).putLong(clock.millis());
        byte[] sig = mac.get().doFinal(Arrays.copyOf(buf.array(), buf.position()));
        buf.put(sig, 0, MAC_BYTES);
        return ENCODER.encodeToString(buf.array());
    }

    /**
     * The stream name an iterator claims, without verifying it (for labelling metrics of requests that may
     * fail), or {@code null} when it cannot be decoded.
     */
    public static String streamOf(String iterator) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(DECODER.decode(iterator));
            if (buf.remaining() < 3 || buf.get() != FORMAT) {
                return null;
            }
            return readString(buf);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Verifies and decodes; INVALID_ARGUMENT when forged or malformed, EXPIRED_ITERATOR when too old. */
    public Position open(String iterator) {
        byte[] raw;
        try {
            raw = DECODER.decode(iterator);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (raw.length < 1 + 2 + 2 + 4 + 8 + 8 + MAC_BYTES || raw[0] != FORMAT) {
            throw invalid();
        }
        int bodyLength = raw.length - MAC_BYTES;
        byte[] expected = Arrays.copyOf(mac.get().doFinal(Arrays.copyOf(raw, bodyLength)), MAC_BYTES);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(raw, bodyLength, raw.length))) {
            throw invalid();
        }
        ByteBuffer buf = ByteBuffer.wrap(raw, 1, bodyLength - 1);
        String stream = readString(buf);
        String uid = readString(buf);
        Position position = new Position(stream, uid, buf.getInt(), buf.getLong(), buf.getLong());
        long age = clock.millis() - position.issuedMillis();
        if (age > ttl.toMillis()) {
            throw new PlatformException(ErrorCode.EXPIRED_ITERATOR, "Iterator expired. The iterator was created at time "
                    + position.issuedMillis() + " while right now it is " + clock.millis()
                    + " which is further in the future than the tolerated delay of " + ttl.toMillis() + " milliseconds.");
        }
        return position;
    }

    private static String readString(ByteBuffer buf) {
        int length = buf.getShort() & 0xFFFF;
        if (length > buf.remaining()) {
            throw invalid();
        }
        byte[] bytes = new byte[length];
        buf.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static PlatformException invalid() {
        return PlatformException.invalidArgument("Invalid ShardIterator.");
    }
}
