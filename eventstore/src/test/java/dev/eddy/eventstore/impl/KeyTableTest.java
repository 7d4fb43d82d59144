package dev.eddy.eventstore.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The key index's table files: lookups against a model, and damaged or foreign files refused at open. */
class KeyTableTest {

    @TempDir
    Path dir;

    /** 3 logs x 2,000 keys with 1..9 versions each, positions growing with versions. */
    private static List<long[]> sample() {
        Random random = new Random(7);
        List<long[]> entries = new ArrayList<>();
        long position = 0;
        for (long log = 1; log <= 3; log++) {
            for (int k = 0; k < 2_000; k++) {
                KeyHash h = KeyHash.ofKey("key-" + k);
                int versions = 1 + random.nextInt(9);
                for (int v = 0; v < versions; v++) {
                    entries.add(new long[] {log, h.hi(), h.lo(), v, position += 1 + random.nextInt(3)});
                }
            }
        }
        entries.sort((a, b) -> KeyTable.compare(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]));
        return entries;
    }

    private KeyTable write(List<long[]> entries, long generation) {
        int[] i = {0};
        return KeyTable.writeBlocking(dir.resolve(generation + ".keys"), generation, entries.size(), e -> {
            if (i[0] == entries.size()) {
                return false;
            }
            System.arraycopy(entries.get(i[0]++), 0, e, 0, 5);
            return true;
        });
    }

    @Test
    void lookupsAnswerWhatWasWritten() {
        List<long[]> entries = sample();
        KeyTable table = write(entries, 1);
        assertEquals(entries.size(), table.entries());
        TreeMap<String, List<long[]>> byKey = new TreeMap<>();
        for (long[] e : entries) {
            byKey.computeIfAbsent(e[0] + "/" + e[1] + "/" + e[2], k -> new ArrayList<>()).add(e);
        }
        for (List<long[]> versions : byKey.values()) {
            long[] first = versions.get(0);
            long[] last = versions.get(versions.size() - 1);
            assertEquals(last[3], table.latestVersion(first[0], first[1], first[2]));
            assertEquals(first[4], table.firstPosition(first[0], first[1], first[2]));
            for (long[] e : versions) {
                assertEquals(e[3], table.versionAt(e[0], e[1], e[2], e[4]));
            }
            assertEquals(-1, table.versionAt(first[0], first[1], first[2], last[4] + 1));
            List<long[]> from1 = new ArrayList<>();
            table.entries(first[0], first[1], first[2], 1, Long.MIN_VALUE, 3, (v, p) -> from1.add(new long[] {v, p}));
            assertEquals(Math.min(3, versions.size() - 1), from1.size());
            for (int i = 0; i < from1.size(); i++) {
                assertEquals(versions.get(i + 1)[3], from1.get(i)[0]);
                assertEquals(versions.get(i + 1)[4], from1.get(i)[1]);
            }
            List<long[]> retained = new ArrayList<>();
            table.entries(first[0], first[1], first[2], 0, last[4], 10, (v, p) -> retained.add(new long[] {v, p}));
            assertEquals(1, retained.size(), "only the last version is at or above its position");
        }
        KeyHash absent = KeyHash.ofKey("absent");
        int falsePositives = 0;
        for (long log = 1; log <= 3; log++) {
            assertEquals(-1, table.latestVersion(log, absent.hi(), absent.lo()));
            assertEquals(-1, table.firstPosition(log, absent.hi(), absent.lo()));
        }
        for (int k = 0; k < 10_000; k++) {
            KeyHash h = KeyHash.ofKey("other-" + k);
            falsePositives += table.mightContain(1, h.hi(), h.lo()) ? 1 : 0;
        }
        assertTrue(falsePositives < 300, "Bloom filter false positives: " + falsePositives + " of 10,000");
        KeyHash known = KeyHash.ofKey("key-5");
        assertEquals(-1, table.latestVersion(4, known.hi(), known.lo()), "another log's key is not this log's");
    }

    @Test
    void anEmptyTableAnswersNothing() {
        KeyTable table = write(List.of(), 3);
        assertEquals(0, table.entries());
        KeyHash h = KeyHash.ofKey("k");
        assertEquals(-1, table.latestVersion(1, h.hi(), h.lo()));
    }

    @Test
    void entriesOutOfOrderAreRefused() {
        List<long[]> entries = new ArrayList<>(sample());
        entries.add(entries.get(0).clone());
        assertThrows(IllegalStateException.class, () -> write(entries, 4));
    }

    @Test
    void damagedOrForeignFilesAreRefused() throws IOException {
        KeyTable table = write(sample(), 5);
        Path file = table.file;
        Path copy = dir.resolve("copy.keys");
        Files.copy(file, copy);
        assertThrows(IllegalStateException.class, () -> KeyTable.openBlocking(copy, 6), "another generation");
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            long at = f.length() - 200; // inside the Bloom filter
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
        assertThrows(IllegalStateException.class, () -> KeyTable.openBlocking(copy, 5), "a flipped bit");
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.setLength(f.length() - 1000);
        }
        assertThrows(IllegalStateException.class, () -> KeyTable.openBlocking(copy, 5), "a truncated file");
        assertFalse(KeyTable.openBlocking(file, 5).entries() == 0, "the original still opens");
    }
}
