package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash with acknowledged writes only in the segment log: the files as a crash leaves them (copied while the store
 * runs, nothing checkpointed since it opened) with the log cut, or corrupted, at many points. Each reopened store
 * must show exactly the writes whose log entries are intact: every acknowledged write before the cut, no
 * half-applied commit, nothing after. Also: a store left by the older two-file redo log opens and replays it once.
 */
class LogCrashTest extends EventStoreTckBase {

    private static final List<String> LOGS = List.of("s/0", "s/1", "s/new", "gone");
    private static final LoggedBatchStorage.Policy ONLY_AT_CLOSE = LoggedBatchStorage.Policy.ONLY_AT_CLOSE;

    @Override
    protected MapDbFixture fixture() {
        return new MapDbFixture();
    }

    private EventStore open(Path dir, LoggedBatchStorage.Policy policy) {
        return await(MapDbEventStore.open(vertx, MapDbOptions.defaults(dir), v -> v, policy));
    }

    /** What the reader sees: each log's records (position, key, data) and the metadata entries. */
    private Map<String, List<String>> snapshot(EventStore s) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        EventStore saved = store;
        store = s;
        try {
            for (String log : LOGS) {
                List<String> records = new ArrayList<>();
                for (StoredRecord r : readAll(log)) {
                    records.add(r.position() + " " + r.partitionKey() + " " + new String(r.data()));
                }
                out.put(log, records);
            }
            out.put("meta", new ArrayList<>(await(s.list("streams")).entrySet().stream()
                    .map(e -> e.getKey() + "=" + new String(e.getValue())).toList()));
        } finally {
            store = saved;
        }
        return out;
    }

    private static List<NewRecord> batch(String tag, int n) {
        List<NewRecord> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            records.add(NewRecord.of("key-" + (i % 3), (tag + " #" + i + " " + "y".repeat(50 + 31 * i)).getBytes()));
        }
        return records;
    }

    @Test
    void aTornOrCorruptRedoTailKeepsExactlyTheIntactCommits() throws IOException {
        await(store.close());
        store = null;
        MapDbFixture template = new MapDbFixture();
        try {
            Path dir = template.dir();
            // A first state, checkpointed into MapDB by a clean close.
            EventStore s = open(dir, ONLY_AT_CLOSE);
            for (int b = 0; b < 3; b++) {
                await(s.append("s/0", AppendBatch.of(batch("old 0." + b, 4), 1000)));
                await(s.append("s/1", AppendBatch.of(batch("old 1." + b, 2), 1000)));
            }
            await(s.append("gone", AppendBatch.of(batch("gone", 3), 1000)));
            await(s.put("streams", "a", bytes("meta-a")));
            await(s.close());

            // A second wave, one write at a time (one redo entry each), none of it checkpointed.
            s = open(dir, ONLY_AT_CLOSE);
            EventStore live = s;
            List<Supplier<Future<?>>> ops = List.of(
                    () -> live.append("s/0", AppendBatch.of(batch("new 0.0", 5), 2000)),
                    () -> live.append("s/new", AppendBatch.of(batch("new n.0", 3), 2000)),
                    () -> live.put("streams", "b", bytes("meta-b")),
                    () -> live.append("s/1", AppendBatch.of(batch("new 1.0", 40), 2000)),
                    () -> live.trim("s/0", 4),
                    () -> live.deleteLog("gone"),
                    () -> live.append("gone", AppendBatch.of(batch("reborn", 2), 2000)),
                    () -> live.remove("streams", "a"),
                    () -> live.append("s/new", AppendBatch.of(batch("new n.1", 7), 2000)),
                    () -> live.append("s/0", AppendBatch.of(batch("new 0.1", 1), 2000)));
            List<Map<String, List<String>>> states = new ArrayList<>();
            states.add(snapshot(s));
            for (Supplier<Future<?>> op : ops) {
                await(op.get());
                states.add(snapshot(s));
            }
            // The crash: the files as they are now, MapDB still holding only the first state.
            MapDbFixture crashed = new MapDbFixture();
            MapDbFixture.copyTree(dir, crashed.dir());
            await(s.close());
            try {
                // The second wave's entries: the last segment that holds any (each open starts a new one).
                Path redo = null;
                List<Long> ends = new ArrayList<>();
                SegmentLog log = SegmentLog.openBlocking(crashed.dir().resolve(SegmentLog.DIRECTORY), 1 << 20);
                for (long segment : log.segments().descendingSet()) {
                    log.scanBlocking(segment, 0, -1, (seq, seg, at, end, payload) -> ends.add(end));
                    if (!ends.isEmpty()) {
                        redo = crashed.dir().relativize(log.pathOf(segment));
                        break;
                    }
                }
                log.close();
                assertEquals(ops.size(), ends.size(), "one log entry per acknowledged write");
                long size = Files.size(crashed.dir().resolve(redo));
                TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 15L, 16L, 17L, ends.get(ends.size() - 1), size));
                long start = 0;
                for (long end : ends) {
                    cuts.addAll(List.of(start + 1, start + 19, (start + end) / 2, end - 4, end - 1, end));
                    start = end;
                }
                for (long cut : cuts) {
                    int intact = (int) ends.stream().filter(e -> e <= cut).count();
                    checkReopened(crashed.dir(), states.get(intact), "log cut at " + cut + " of " + size,
                            file -> truncate(file, cut), redo);
                }
                start = 0;
                for (int i = 0; i < ends.size(); i++) {
                    long at = (start + ends.get(i)) / 2;
                    checkReopened(crashed.dir(), states.get(i), "byte " + at + " of entry " + i + " flipped",
                            file -> flip(file, at), redo);
                    start = ends.get(i);
                }
                // An intact log replays all of it, and the store goes on from there across reopens.
                MapDbFixture whole = new MapDbFixture();
                try {
                    MapDbFixture.copyTree(crashed.dir(), whole.dir());
                    EventStore r = open(whole.dir(), LoggedBatchStorage.Policy.DEFAULT);
                    assertEquals(states.get(ops.size()), snapshot(r));
                    await(r.append("s/new", AppendBatch.of(batch("after", 2), 3000)));
                    Map<String, List<String>> after = snapshot(r);
                    MapDbFixture again = new MapDbFixture();
                    try {
                        MapDbFixture.copyTree(whole.dir(), again.dir()); // crashed again, before any checkpoint
                        await(r.close());
                        EventStore r2 = open(again.dir(), ONLY_AT_CLOSE);
                        assertEquals(after, snapshot(r2));
                        await(r2.close());
                    } finally {
                        again.cleanup();
                    }
                    EventStore r3 = open(whole.dir(), ONLY_AT_CLOSE);
                    assertEquals(after, snapshot(r3));
                    await(r3.close());
                } finally {
                    whole.cleanup();
                }
            } finally {
                crashed.cleanup();
            }
        } finally {
            template.cleanup();
        }
    }

    /**
     * A data directory written without the log opens with it; one left by a crash with writes only in the log
     * opens without it too (they are replayed into MapDB first).
     */
    @Test
    void directoriesWithAndWithoutTheLogOpenEitherWay() throws IOException {
        await(store.close());
        store = null;
        MapDbFixture dir = new MapDbFixture();
        MapDbFixture crashed = new MapDbFixture();
        try {
            EventStore old = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()).withRedoLog(false)));
            await(old.append("s/0", AppendBatch.of(batch("old", 3), 1000)));
            await(old.put("streams", "a", bytes("meta-a")));
            Map<String, List<String>> before = snapshot(old);
            await(old.close());

            EventStore s = open(dir.dir(), ONLY_AT_CLOSE);
            assertEquals(before, snapshot(s));
            await(s.append("s/0", AppendBatch.of(batch("new", 2), 2000)));
            await(s.append("s/new", AppendBatch.of(batch("new n", 4), 2000)));
            await(s.put("streams", "b", bytes("meta-b")));
            Map<String, List<String>> after = snapshot(s);
            MapDbFixture.copyTree(dir.dir(), crashed.dir()); // a crash now: the new writes are only in the log
            await(s.close());

            EventStore without = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(crashed.dir())
                    .withRedoLog(false)));
            assertEquals(after, snapshot(without));
            await(without.append("s/1", AppendBatch.of(batch("no redo", 1), 3000)));
            after = snapshot(without);
            await(without.close());
            EventStore again = open(crashed.dir(), ONLY_AT_CLOSE);
            assertEquals(after, snapshot(again), "the log replayed once, not again");
            await(again.close());
        } finally {
            dir.cleanup();
            crashed.cleanup();
        }
    }

    /**
     * A data directory left by a crash of a version with the two-file redo log ({@code eddy.db.redo.0/1}), its last
     * writes only there: it opens with everything acknowledged, replays the redo log once and removes it.
     */
    @Test
    void aStoreLeftByTheOlderRedoLogOpensWithEverythingAndReplaysItOnce() throws IOException {
        await(store.close());
        store = null;
        MapDbFixture dir = new MapDbFixture();
        MapDbFixture crashed = new MapDbFixture();
        try {
            EventStore old = await(MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()).withRedoLog(false)));
            await(old.append("s/0", AppendBatch.of(batch("old", 3), 1000)));
            await(old.append("gone", AppendBatch.of(batch("gone", 2), 1000)));
            await(old.put("streams", "a", bytes("meta-a")));
            await(old.close());
            EventStore s = open(dir.dir(), ONLY_AT_CLOSE);
            await(s.append("s/0", AppendBatch.of(batch("new", 2), 2000)));
            await(s.append("s/new", AppendBatch.of(batch("new n", 4), 2000)));
            await(s.deleteLog("gone"));
            await(s.trim("s/0", 3));
            await(s.put("streams", "b", bytes("meta-b")));
            Map<String, List<String>> after = snapshot(s);
            MapDbFixture.copyTree(dir.dir(), crashed.dir());
            await(s.close());

            // The same entries, as the older version wrote them: one redo file, then no segment log.
            Path logDir = crashed.dir().resolve(SegmentLog.DIRECTORY);
            ByteArrayOutputStream redo = new ByteArrayOutputStream();
            SegmentLog log = SegmentLog.openBlocking(logDir, 1 << 20);
            long entries = log.scanBlocking(0, 0, -1, (seq, segment, at, end, payload) -> {
                ByteBuffer head = ByteBuffer.allocate(16).putInt(RedoLog.MAGIC).putInt(payload.length).putLong(seq);
                CRC32C crc = new CRC32C();
                crc.update(head.array());
                crc.update(payload);
                redo.writeBytes(head.array());
                redo.writeBytes(payload);
                redo.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
            });
            log.close();
            assertEquals(5, entries, "one entry per write of the second wave");
            Path[] redoFiles = RedoLog.pathsOf(crashed.dir().resolve(MapDbBatchStorage.FILE_NAME));
            Files.write(redoFiles[0], redo.toByteArray());
            try (var files = Files.walk(logDir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }

            MapDbFixture again = new MapDbFixture();
            try {
                EventStore r = open(crashed.dir(), ONLY_AT_CLOSE);
                assertEquals(after, snapshot(r));
                assertTrue(Files.notExists(redoFiles[0]), "the redo log is removed once replayed");
                await(r.append("s/1", AppendBatch.of(batch("later", 1), 3000)));
                after = snapshot(r);
                MapDbFixture.copyTree(crashed.dir(), again.dir()); // crashed again: the new write only in the log
                await(r.close());
                EventStore r2 = open(again.dir(), ONLY_AT_CLOSE);
                assertEquals(after, snapshot(r2), "replayed once, not again");
                await(r2.close());
            } finally {
                again.cleanup();
            }
        } finally {
            dir.cleanup();
            crashed.cleanup();
        }
    }

    @FunctionalInterface
    private interface Damage {
        void apply(Path file) throws IOException;
    }

    private void checkReopened(Path crashed, Map<String, List<String>> expected, String what, Damage damage,
                               Path redo) throws IOException {
        MapDbFixture dir = new MapDbFixture();
        try {
            MapDbFixture.copyTree(crashed, dir.dir());
            damage.apply(dir.dir().resolve(redo.toString()));
            EventStore r = open(dir.dir(), LoggedBatchStorage.Policy.DEFAULT);
            try {
                assertEquals(expected, snapshot(r), what);
                // and it takes writes
                await(r.append("s/1", AppendBatch.of(batch("after", 1), 3000)));
            } finally {
                await(r.close());
            }
            EventStore again = open(dir.dir(), ONLY_AT_CLOSE);
            try {
                assertTrue(snapshot(again).get("s/1").size() == expected.get("s/1").size() + 1, what + ", reopened");
            } finally {
                await(again.close());
            }
        } finally {
            dir.cleanup();
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void flip(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, at);
        }
    }
}
