package dev.eddy.eventstore.mapdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The redo log's two files used in turn with a checkpoint that lags behind: at every step, reading the files back
 * gives every entry past the checkpoint, intact, and no stale entry numbered past it, also across reopens that
 * keep the files' old contents.
 */
class RedoLogTest {

    @TempDir
    Path dir;

    private static byte[] payload(long seq) {
        int n = 1 + (int) (seq * 37 % 300);
        byte[] b = new byte[n];
        new SplittableRandom(seq).nextBytes(b);
        System.arraycopy(Long.toString(seq).getBytes(StandardCharsets.US_ASCII), 0, b, 0, Math.min(n, 1));
        return b;
    }

    @Test
    void everyEntryPastTheCheckpointIsReadBackAcrossFileReuseAndReopens() {
        Path[] paths = RedoLog.pathsOf(dir.resolve("eddy.db"));
        SplittableRandom random = new SplittableRandom(7);
        long seq = 0;
        long checkpointed = 0;
        for (int open = 0; open < 4; open++) {
            // what a reopen guarantees first: everything written so far is checkpointed
            checkpointed = seq;
            try (RedoLog log = RedoLog.openBlocking(paths, 2_000)) {
                for (int i = 0; i < 400; i++) {
                    seq++;
                    log.appendBlocking(seq, ByteBuffer.wrap(payload(seq)), checkpointed);
                    if (random.nextInt(4) == 0) {
                        checkpointed = seq - random.nextInt((int) Math.min(seq - checkpointed, 30) + 1);
                    }
                    checkReadBack(paths, checkpointed, seq);
                }
            }
        }
        assertTrue(paths[1].toFile().length() > 0, "the second file was used");
    }

    private static void checkReadBack(Path[] paths, long checkpointed, long last) {
        TreeMap<Long, RedoLog.Entry> past = new TreeMap<>();
        for (RedoLog.Entry e : RedoLog.readBlocking(paths)) {
            if (e.seq() > checkpointed) {
                assertTrue(e.seq() <= last, "a stale entry " + e.seq() + " past the last one written, " + last);
                assertTrue(past.put(e.seq(), e) == null, "entry " + e.seq() + " twice");
            }
        }
        assertEquals(last - checkpointed, past.size(), "entries past checkpoint " + checkpointed + " up to " + last);
        for (var e : past.values()) {
            assertArrayEquals(payload(e.seq()), e.payload(), "entry " + e.seq());
        }
        List<Long> seqs = List.copyOf(past.keySet());
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(checkpointed + 1 + i, seqs.get(i));
        }
    }
}
