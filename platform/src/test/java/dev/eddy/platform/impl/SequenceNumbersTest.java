package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceNumbersTest {

    private static final long CREATED = 1_795_597_523_292L;

    @Test
    void roundTripsAndLooksLikeKinesis() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            int shard = random.nextInt(100_000);
            long position = random.nextLong() & Long.MAX_VALUE;
            long created = Math.floorMod(random.nextLong(), 10_000_000_000_000L);
            String seq = SequenceNumbers.format(created, shard, position);
            assertEquals(56, seq.length(), seq);
            BigInteger expected = BigInteger.valueOf(49).multiply(BigInteger.TEN.pow(54))
                    .add(BigInteger.valueOf(created).multiply(BigInteger.TEN.pow(41)))
                    .add(BigInteger.valueOf(shard).multiply(BigInteger.TEN.pow(20)))
                    .add(BigInteger.valueOf(position));
            assertEquals(expected.toString(), seq);
            assertEquals(position, SequenceNumbers.position(seq, created, shard, ShardIds.of(shard)));
        }
    }

    @Test
    void strictlyIncreasingWithinAShardAndChildrenAboveParents() {
        BigInteger previous = BigInteger.valueOf(-1);
        for (long p = 0; p < 1000; p++) {
            BigInteger seq = new BigInteger(SequenceNumbers.format(CREATED, 3, p));
            assertTrue(seq.compareTo(previous) > 0);
            previous = seq;
        }
        BigInteger parentMax = new BigInteger(SequenceNumbers.format(CREATED, 3, Long.MAX_VALUE));
        BigInteger childMin = new BigInteger(SequenceNumbers.format(CREATED, 4, 0));
        assertTrue(childMin.compareTo(parentMax) > 0);
    }

    @Test
    void aRecreatedStreamNeverReusesNumbers() {
        BigInteger oldMax = new BigInteger(SequenceNumbers.format(CREATED, 999, Long.MAX_VALUE));
        BigInteger newMin = new BigInteger(SequenceNumbers.format(CREATED + 1, 0, 0));
        assertTrue(newMin.compareTo(oldMax) > 0);
        String old = SequenceNumbers.format(CREATED, 0, 5);
        assertThrows(PlatformException.class, () -> SequenceNumbers.position(old, CREATED + 1, 0, ShardIds.of(0)));
    }

    @Test
    void rejectsNumbersOfOtherShardsAndGarbage() {
        String seq = SequenceNumbers.format(CREATED, 2, 10);
        assertThrows(PlatformException.class, () -> SequenceNumbers.position(seq, CREATED, 1, ShardIds.of(1)));
        assertThrows(PlatformException.class, () -> SequenceNumbers.position("123", CREATED, 0, ShardIds.of(0)));
        assertThrows(PlatformException.class, () -> SequenceNumbers.position("abc", CREATED, 0, ShardIds.of(0)));
        String tooBig = seq.substring(0, 36) + "99999999999999999999";
        assertThrows(PlatformException.class, () -> SequenceNumbers.position(tooBig, CREATED, 2, ShardIds.of(2)));
        assertThrows(PlatformException.class, () -> SequenceNumbers.position(null, CREATED, 2, ShardIds.of(2)));
    }

    @Test
    void shardIds() {
        assertEquals("shardId-000000000042", ShardIds.of(42));
        assertEquals(42, ShardIds.index("shardId-000000000042"));
        assertEquals(-1, ShardIds.index("shardId-x"));
        assertEquals(-1, ShardIds.index(""));
    }
}
