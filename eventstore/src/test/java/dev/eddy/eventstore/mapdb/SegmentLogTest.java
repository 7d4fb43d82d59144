package dev.eddy.eventstore.mapdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The segment log: entries across many small segments read back in place and by scanning from any entry's end;
 * a torn tail ends the scan and the next writer starts after it; deleted segments read as gone.
 */
class SegmentLogTest {

    @TempDir
    Path dir;

    private static byte[] payload(long seq) {
        int n = 1 + (int) (seq * 37 % 3000);
        byte[] b = new byte[n];
        new SplittableRandom(seq).nextBytes(b);
        return b;
    }

    /** Where an entry's payload lies and where the entry ends. */
    private record Placed(long segment, long payloadAt, long end) {
    }

    private static TreeMap<Long, byte[]> scanAll(SegmentLog log, long segment, long offset, long firstSeq) {
        TreeMap<Long, byte[]> out = new TreeMap<>();
        log.scanBlocking(segment, offset, firstSeq, (seq, s, at, end, p) -> out.put(seq, p));
        return out;
    }

    @Test
    void entriesAreReadInPlaceAndScannedFromAnyEntryAcrossSegmentsAndReopens() {
        TreeMap<Long, Placed> placed = new TreeMap<>();
        long seq = 0;
        long lastSegment = 0;
        for (int open = 0; open < 3; open++) {
            SegmentLog log = SegmentLog.openBlocking(dir, 16 << 10);
            try {
                assertEquals(seq, log.scanBlocking(lastSegment, placed.isEmpty() ? 0 : placed.lastEntry().getValue().end(),
                        seq + 1, (a, b, c, d, e) -> { }), "nothing past the last entry");
                log.startAppendingBlocking(lastSegment);
                for (int i = 0; i < 60; i++) {
                    seq++;
                    byte[] p = payload(seq);
                    long at = log.appendBlocking(seq, ByteBuffer.wrap(p));
                    placed.put(seq, new Placed(log.currentSegment(), at, at + p.length + SegmentLog.TRAILER));
                    assertArrayEquals(p, log.readBlocking(log.currentSegment(), at, p.length), "read back in place");
                }
                lastSegment = log.currentSegment();
            } finally {
                log.close();
            }
        }
        SegmentLog log = SegmentLog.openBlocking(dir, 16 << 10);
        try {
            assertTrue(log.segments().size() > 10, "many segments: " + log.segments());
            for (var e : placed.entrySet()) {
                Placed p = e.getValue();
                assertArrayEquals(payload(e.getKey()), log.readBlocking(p.segment(), p.payloadAt(),
                        payload(e.getKey()).length));
            }
            // a scan from after any entry gives exactly the entries after it
            for (long from : new long[] {1, 2, 59, 60, 61, 100, 179}) {
                Placed p = placed.get(from);
                TreeMap<Long, byte[]> rest = scanAll(log, p.segment(), p.end(), from + 1);
                assertEquals(placed.tailMap(from, false).keySet(), rest.keySet(), "after entry " + from);
                rest.forEach((s, b) -> assertArrayEquals(payload(s), b));
            }
            assertEquals(placed.keySet(), scanAll(log, 0, 0, 1).keySet(), "from the start");
        } finally {
            log.close();
        }
    }

    @Test
    void aTornTailEndsTheScanAndTheNextWriterStartsAfterIt() throws IOException {
        SegmentLog log = SegmentLog.openBlocking(dir, 1 << 20);
        List<Long> ends = new ArrayList<>();
        log.startAppendingBlocking(0);
        long segment = log.currentSegment();
        for (long seq = 1; seq <= 5; seq++) {
            byte[] p = payload(seq);
            ends.add(log.appendBlocking(seq, ByteBuffer.wrap(p)) + p.length + SegmentLog.TRAILER);
        }
        log.close();
        // the last entry torn: its last byte flipped
        Path file = SegmentLog.openBlocking(dir, 1 << 20).pathOf(segment);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, ends.get(4) - 1);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, ends.get(4) - 1);
        }
        log = SegmentLog.openBlocking(dir, 1 << 20);
        try {
            assertEquals(4, log.scanBlocking(0, 0, 1, (a, b, c, d, e) -> { }));
            log.startAppendingBlocking(segment);
            assertTrue(log.currentSegment() > segment);
            byte[] p = payload(5);
            log.appendBlocking(5, ByteBuffer.wrap(p));
        } finally {
            log.close();
        }
        log = SegmentLog.openBlocking(dir, 1 << 20);
        try {
            TreeMap<Long, byte[]> all = scanAll(log, 0, 0, 1);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), new ArrayList<>(all.keySet()));
            assertArrayEquals(payload(5), all.get(5L));
        } finally {
            log.close();
        }
    }

    @Test
    void aDeletedSegmentReadsAsGoneAndTheCurrentOneCannotBeDeleted() {
        SegmentLog log = SegmentLog.openBlocking(dir, 4 << 10);
        try {
            log.startAppendingBlocking(0);
            byte[] p = payload(1);
            long at = log.appendBlocking(1, ByteBuffer.wrap(p));
            long first = log.currentSegment();
            for (long seq = 2; log.currentSegment() == first; seq++) {
                log.appendBlocking(seq, ByteBuffer.wrap(payload(seq)));
            }
            assertArrayEquals(p, log.readBlocking(first, at, p.length));
            log.deleteBlocking(first);
            assertNull(log.readBlocking(first, at, p.length));
            assertTrue(Files.notExists(log.pathOf(first)));
            long current = log.currentSegment();
            assertThrows(IllegalStateException.class, () -> log.deleteBlocking(current));
        } finally {
            log.close();
        }
    }

    @Test
    void anEntryLargerThanASegmentGrowsItsSegment() {
        SegmentLog log = SegmentLog.openBlocking(dir, 4 << 10);
        try {
            log.startAppendingBlocking(0);
            byte[] big = new byte[3 << 20];
            new SplittableRandom(3).nextBytes(big);
            long at = log.appendBlocking(1, ByteBuffer.wrap(big));
            assertArrayEquals(big, log.readBlocking(log.currentSegment(), at, big.length));
        } finally {
            log.close();
        }
        SegmentLog again = SegmentLog.openBlocking(dir, 4 << 10);
        try {
            assertEquals(1, again.scanBlocking(0, 0, 1, (a, b, c, d, e) -> { }));
        } finally {
            again.close();
        }
    }
}
