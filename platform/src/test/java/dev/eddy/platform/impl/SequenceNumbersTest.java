package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceNumbersTest {

    @Test
    void roundTripsAndLooksLikeKinesis() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            int shard = random.nextInt(100_000);
            long position = random.nextLong() & Long.MAX_VALUE;
            String seq = SequenceNumbers.format(shard, position);
            assertEquals(56, seq.length(), seq);
            BigInteger expected = BigInteger.valueOf(49).multiply(BigInteger.TEN.pow(54))
                    .add(BigInteger.valueOf(shard).multiply(BigInteger.TEN.pow(20))).add(BigInteger.valueOf(position));
            assertEquals(expected.toString(), seq);
            assertEquals(position, SequenceNumbers.position(seq, shard, ShardIds.of(shard)));
        }
    }

    @Test
    void strictlyIncreasingWithinAShardAndChildrenAboveParents() {
        BigInteger previous = BigInteger.valueOf(-1);
        for (long p = 0; p < 1000; p++) {
            BigInteger seq = new BigInteger(SequenceNumbers.format(3, p));
            assertTrue(seq.compareTo(previous) > 0);
            previous = seq;
        }
        BigInteger parentMax = new BigInteger(SequenceNumbers.format(3, Long.MAX_VALUE));
        BigInteger childMin = new BigInteger(SequenceNumbers.format(4, 0));
        assertTrue(childMin.compareTo(parentMax) > 0);
    }

    @Test
    void rejectsNumbersOfOtherShardsAndGarbage() {
        String seq = SequenceNumbers.format(2, 10);
        assertThrows(PlatformException.class, () -> SequenceNumbers.position(seq, 1, ShardIds.of(1)));
        assertThrows(PlatformException.class, () -> SequenceNumbers.position("123", 0, ShardIds.of(0)));
        assertThrows(PlatformException.class, () -> SequenceNumbers.position("abc", 0, ShardIds.of(0)));
    }

    @Test
    void shardIds() {
        assertEquals("shardId-000000000042", ShardIds.of(42));
        assertEquals(42, ShardIds.index("shardId-000000000042"));
        assertEquals(-1, ShardIds.index("shardId-x"));
        assertEquals(-1, ShardIds.index(""));
    }
}
