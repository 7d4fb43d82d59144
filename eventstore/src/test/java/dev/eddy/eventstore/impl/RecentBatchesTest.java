package dev.eddy.eventstore.impl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class RecentBatchesTest {

    @Test
    void keepsTheNewestBatchesWithinTheBudgetPerLogIncarnation() {
        RecentBatches recent = new RecentBatches(1000);
        LogIndex log = new LogIndex("a/0", null);
        LogIndex recreated = new LogIndex("a/0", null);
        for (int i = 0; i < 10; i++) {
            recent.add(log, i * 10L, new byte[200]);
        }
        // 10 x 200 bytes over a 1000-byte budget: only the newest five remain.
        for (int i = 0; i < 5; i++) {
            assertNull(recent.get(log, i * 10L), "evicted " + i);
        }
        for (int i = 5; i < 10; i++) {
            assertNotNull(recent.get(log, i * 10L), "kept " + i);
        }
        assertNull(recent.get(recreated, 90), "a re-created log of the same name does not see the old batches");
        recent.add(log, 100, new byte[300]);
        assertNull(recent.get(log, 100), "a batch over a quarter of the budget is not kept");
        byte[] blob = {1, 2, 3};
        recent.add(recreated, 0, blob);
        assertArrayEquals(blob, recent.get(recreated, 0));
    }
}
