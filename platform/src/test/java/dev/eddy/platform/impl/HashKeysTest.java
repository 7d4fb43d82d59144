package dev.eddy.platform.impl;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Shard;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HashKeysTest {

    @Test
    void md5IsUnsigned128Bit() throws Exception {
        byte[] digest = MessageDigest.getInstance("MD5").digest("a".getBytes(StandardCharsets.UTF_8));
        assertEquals(new BigInteger(1, digest), HashKeys.ofPartitionKey("a"));
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
        assertEquals(new BigInteger("0cc175b9c0f1b6a831c399e269772661", 16), HashKeys.ofPartitionKey("a"));
    }

    @Test
    void rangesCoverTheWholeSpaceWithoutGapsOrOverlaps() {
        for (int n : new int[]{1, 2, 3, 4, 7, 64, 1000}) {
            assertEquals(BigInteger.ZERO, HashKeys.rangeStart(0, n));
            assertEquals(HashKeys.MAX, HashKeys.rangeEnd(n - 1, n));
            for (int i = 1; i < n; i++) {
                assertEquals(HashKeys.rangeEnd(i - 1, n).add(BigInteger.ONE), HashKeys.rangeStart(i, n));
            }
        }
    }

    @Test
    void routingPicksTheShardWhoseRangeHoldsTheKey() {
        int n = 7;
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shards.add(new Shard(ShardIds.of(i), null, null, HashKeys.rangeStart(i, n), HashKeys.rangeEnd(i, n),
                    SequenceNumbers.format(0, i, 0), null, 0, -1));
        }
        RoutingTable table = new RoutingTable(shards);
        Random random = new Random(42);
        for (int k = 0; k < 10_000; k++) {
            BigInteger key = new BigInteger(128, random);
            int index = table.route(key);
            assertTrue(shards.get(index).owns(key), "key " + key + " routed to " + index);
        }
        assertEquals(0, table.route(BigInteger.ZERO));
        assertEquals(n - 1, table.route(HashKeys.MAX));
        for (int i = 0; i < n; i++) {
            assertEquals(i, table.route(HashKeys.rangeStart(i, n)));
            assertEquals(i, table.route(HashKeys.rangeEnd(i, n)));
        }
    }

    @Test
    void explicitHashKeyMustBeInRange() {
        assertEquals(HashKeys.MAX, HashKeys.parseExplicit(HashKeys.MAX.toString()));
        assertEquals(BigInteger.ZERO, HashKeys.parseExplicit("0"));
        PlatformException tooBig = assertThrows(PlatformException.class,
                () -> HashKeys.parseExplicit(HashKeys.SPACE.toString()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, tooBig.code());
        assertThrows(PlatformException.class, () -> HashKeys.parseExplicit("-1"));
        assertThrows(PlatformException.class, () -> HashKeys.parseExplicit("12ab"));
    }
}
