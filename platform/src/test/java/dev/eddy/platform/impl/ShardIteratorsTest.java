package dev.eddy.platform.impl;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShardIteratorsTest {

    private static final byte[] KEY = new byte[32];

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void roundTrips() {
        ManualClock clock = new ManualClock();
        ShardIterators iterators = new ShardIterators(KEY, clock, Duration.ofMinutes(5));
        String it = iterators.issue("orders", "abc", 3, 1234);
        ShardIterators.Position p = iterators.open(it);
        assertEquals("orders", p.stream());
        assertEquals("abc", p.streamUid());
        assertEquals(3, p.shardIndex());
        assertEquals(1234, p.position());
    }

    @Test
    void tamperedIteratorsAreRejected() {
        ShardIterators iterators = new ShardIterators(KEY, new ManualClock(), Duration.ofMinutes(5));
        String it = iterators.issue("orders", "abc", 0, 5);
        byte[] raw = Base64.getUrlDecoder().decode(it);
        for (int i = 0; i < raw.length; i++) {
            byte[] copy = raw.clone();
            copy[i] ^= 0x01;
            String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(copy);
            PlatformException e = assertThrows(PlatformException.class, () -> iterators.open(forged));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        }
        assertThrows(PlatformException.class, () -> iterators.open("not an iterator"));
        assertThrows(PlatformException.class, () -> iterators.open(""));
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;
        String foreign = new ShardIterators(otherKey, new ManualClock(), Duration.ofMinutes(5)).issue("orders", "abc", 0, 5);
        assertThrows(PlatformException.class, () -> iterators.open(foreign));
    }

    @Test
    void expiresAfterTheTtlByTheInjectedClock() {
        ManualClock clock = new ManualClock();
        ShardIterators iterators = new ShardIterators(KEY, clock, Duration.ofMinutes(5));
        String it = iterators.issue("orders", "abc", 0, 5);
        clock.advance(Duration.ofMinutes(5));
        assertEquals(5, iterators.open(it).position());
        clock.advance(Duration.ofMillis(1));
        PlatformException e = assertThrows(PlatformException.class, () -> iterators.open(it));
        assertEquals(ErrorCode.EXPIRED_ITERATOR, e.code());
    }
}
