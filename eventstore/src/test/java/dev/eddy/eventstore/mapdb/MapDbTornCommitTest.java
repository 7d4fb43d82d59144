package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;
import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;

import java.io.File;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash at any point while a commit reaches the store file. MapDB 3.1.0's StoreWAL overwrites the store file in
 * place during {@code commit()} and never replays its log at open; a process killed in that window (SIGKILL under
 * load) left a file that failed to open ({@code IndexOutOfBoundsException} decoding a key section or a BTree node,
 * or {@code PointerChecksumBroken}, the "cannot start: null" of the bug report). Here the store file's volume stops
 * taking writes after its n-th write, for evenly spaced n over a wave of commits, as a killed process would, and the
 * directory is then reopened. Without {@link CommitJournalVolume} the first test fails this way.
 */
class MapDbTornCommitTest extends EventStoreTckBase {

    private static final int LOGS = 4;

    @Override
    protected MapDbFixture fixture() {
        return new MapDbFixture();
    }

    /** Thrown where the simulated process dies. */
    private static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated crash", null, false, false);
        }
    }

    /** The store file, dying after a budget of writes once armed. Reads pass through. */
    private static final class CrashingVolume extends Volume {
        private final Volume file;
        private boolean armed;
        private long budget;
        private long writes;
        private boolean dead;

        CrashingVolume(Volume file) {
            this.file = file;
        }

        synchronized void arm(long budget) {
            this.armed = true;
            this.budget = budget;
            this.writes = 0;
        }

        synchronized long writesSinceArmed() {
            return writes;
        }

        /** The process is gone: nothing more reaches the file, its lock is released. */
        synchronized void kill() {
            dead = true;
            if (!file.isClosed()) {
                file.close();
            }
        }

        private synchronized void write() {
            if (dead) {
                throw new SimulatedCrash();
            }
            if (armed) {
                if (writes == budget) {
                    dead = true;
                    throw new SimulatedCrash();
                }
                writes++;
            }
        }

        @Override public void ensureAvailable(long offset) { write(); file.ensureAvailable(offset); }
        @Override public void truncate(long size) { write(); file.truncate(size); }
        @Override public void putLong(long offset, long value) { write(); file.putLong(offset, value); }
        @Override public void putInt(long offset, int value) { write(); file.putInt(offset, value); }
        @Override public void putByte(long offset, byte value) { write(); file.putByte(offset, value); }
        @Override public void putData(long offset, byte[] src, int pos, int size) { write(); file.putData(offset, src, pos, size); }
        @Override public void putData(long offset, ByteBuffer buf) { write(); file.putData(offset, buf); }
        @Override public void clear(long start, long end) { write(); file.clear(start, end); }
        @Override public void sync() { write(); file.sync(); }
        // A dead process reads nothing either (background work such as a purge must not touch a closed, possibly
        // unmapped, file); reads hold the lock so kill() cannot close the file under one.
        private void read() {
            if (dead) {
                throw new SimulatedCrash();
            }
        }

        @Override public synchronized long getLong(long offset) { read(); return file.getLong(offset); }
        @Override public synchronized int getInt(long offset) { read(); return file.getInt(offset); }
        @Override public synchronized byte getByte(long offset) { read(); return file.getByte(offset); }
        @Override public synchronized DataInput2 getDataInput(long offset, int size) {
            read();
            if (file instanceof org.mapdb.volume.MappedFileVol) {
                byte[] copy = new byte[size]; // a view into the mapping would outlive the lock
                file.getData(offset, copy, 0, size);
                return new DataInput2.ByteArray(copy);
            }
            return file.getDataInput(offset, size);
        }
        @Override public synchronized void getData(long offset, byte[] bytes, int pos, int size) { read(); file.getData(offset, bytes, pos, size); }
        @Override public synchronized void close() { if (!file.isClosed()) { file.close(); } }
        @Override public int sliceSize() { return file.sliceSize(); }
        @Override public boolean isSliced() { return file.isSliced(); }
        @Override public long length() { return file.length(); }
        @Override public boolean isReadOnly() { return file.isReadOnly(); }
        @Override public File getFile() { return file.getFile(); }
        @Override public boolean getFileLocked() { return file.getFileLocked(); }
    }

    /** What was written before the crash, and what the crashed writes tried to add. */
    private static final class Scenario {
        final Map<String, List<StoredRecord>> before = new LinkedHashMap<>();
        final Map<String, List<List<String>>> attempted = new LinkedHashMap<>(); // per log, batches of data in order
        final Map<String, List<Future<AppendResult>>> appends = new LinkedHashMap<>();
        Future<Void> metadataPut;
        Future<Void> deletion;
    }

    private CrashingVolume crashing;

    private boolean mmap;

    /** Through the redo log, checkpointing after every commit so that checkpoints run during the second wave. */
    private boolean redoLog;

    private static final LoggedBatchStorage.Policy EVERY_COMMIT =
            new LoggedBatchStorage.Policy(0, 0, Long.MAX_VALUE, 16L << 20);

    private MapDbOptions options(Path dir) {
        return MapDbOptions.defaults(dir).withMmap(mmap).withRedoLog(redoLog);
    }

    private EventStore openCrashable(Path dir) {
        return await(MapDbEventStore.open(vertx, options(dir), v -> crashing = new CrashingVolume(v), EVERY_COMMIT));
    }

    private static String log(int l) {
        return "s/" + l;
    }

    /** Commits a first state, arms the crash, then writes a second wave that the crash interrupts somewhere. */
    private Scenario crashDuringSecondWave(EventStore s, long budget) {
        Scenario sc = new Scenario();
        for (int l = 0; l < LOGS; l++) {
            for (int b = 0; b < 3; b++) {
                await(s.append(log(l), AppendBatch.of(batch("old", l, b, 5 + l), 1000)));
            }
        }
        await(s.append("gone", AppendBatch.of(batch("gone", 0, 0, 3), 1000)));
        await(s.put("streams", "a", bytes("meta-a")));
        for (int l = 0; l < LOGS; l++) {
            sc.before.put(log(l), readAllOf(s, log(l)));
        }
        crashing.arm(budget);
        for (int l = 0; l <= LOGS; l++) {
            String log = log(l); // log(LOGS) is a new log
            for (int b = 0; b < 3; b++) {
                List<NewRecord> records = batch("new", l, b, 20 + 7 * b);
                sc.attempted.computeIfAbsent(log, k -> new ArrayList<>()).add(records.stream()
                        .map(r -> new String(r.data())).toList());
                sc.appends.computeIfAbsent(log, k -> new ArrayList<>()).add(s.append(log, AppendBatch.of(records, 2000)));
            }
        }
        sc.metadataPut = s.put("streams", "b", bytes("meta-b"));
        sc.deletion = s.deleteLog("gone");
        for (var list : sc.appends.values()) {
            list.forEach(f -> awaitQuietly(f));
        }
        awaitQuietly(sc.metadataPut);
        awaitQuietly(sc.deletion);
        return sc;
    }

    /** Checks the reopened store: every acknowledged write is there, no batch is half there, the rest is sane. */
    private void verifyAfterReopen(EventStore s, Scenario sc, boolean expectNothingNew) {
        for (int l = 0; l <= LOGS; l++) {
            String log = log(l);
            List<StoredRecord> all = readAllOf(s, log);
            List<StoredRecord> before = sc.before.getOrDefault(log, List.of());
            assertTrue(all.size() >= before.size(), log + " lost committed records: " + all.size() + " < " + before.size());
            assertSameRecords(before, all.subList(0, before.size()));
            List<String> rest = all.subList(before.size(), all.size()).stream().map(r -> new String(r.data())).toList();
            // The new records must be whole batches, in order: a prefix of the attempted batches.
            int pos = 0;
            int batches = 0;
            for (List<String> attempted : sc.attempted.get(log)) {
                if (pos == rest.size()) {
                    break;
                }
                assertTrue(rest.size() - pos >= attempted.size(), log + ": half a batch is visible: " + rest);
                assertEquals(attempted, rest.subList(pos, pos + attempted.size()), log);
                pos += attempted.size();
                batches++;
            }
            assertEquals(rest.size(), pos, log + ": unexpected records " + rest);
            List<Future<AppendResult>> acks = sc.appends.get(log);
            for (int b = 0; b < acks.size(); b++) {
                if (acks.get(b).succeeded()) {
                    assertTrue(b < batches, log + ": acknowledged batch " + b + " is missing");
                }
            }
            if (expectNothingNew) {
                assertEquals(0, batches, log + ": a commit whose journal was torn is visible");
            }
        }
        if (sc.metadataPut.succeeded()) {
            assertArrayEquals(bytes("meta-b"), await(s.get("streams", "b")));
        }
        assertArrayEquals(bytes("meta-a"), await(s.get("streams", "a")));
        if (sc.deletion.succeeded()) {
            assertEquals(0, await(s.state("gone")).nextPosition());
        }
        if (expectNothingNew) {
            assertNull(await(s.get("streams", "b")));
            assertEquals(3, await(s.state("gone")).nextPosition());
        }
        // and the reopened store takes writes
        AppendResult r = await(s.append(log(0), AppendBatch.of(batch("after", 0, 0, 2), 3000)));
        assertEquals(readAllOf(s, log(0)).size() - 2, r.firstPosition());
    }

    @Test
    void aCrashAtAnyWriteOfACommitToTheStoreFileLosesNothingAcknowledgedAndReopens() throws Exception {
        crashAtWritesOfACommit(50);
    }

    @Test
    void theSameWithAMemoryMappedStoreFile() throws Exception {
        mmap = true;
        crashAtWritesOfACommit(12);
    }

    /**
     * With the redo log the crash hits a background checkpoint (possibly while later appends are acknowledged from
     * the redo log alone): the reopened store replays the redo log past the last checkpoint.
     */
    @Test
    void aCrashAtAnyWriteOfACheckpointLosesNothingAcknowledgedAndReopens() throws Exception {
        redoLog = true;
        crashAtWritesOfACommit(50);
    }

    /**
     * The store-file writes since the crash was armed, once they stop coming (a background checkpoint may still
     * be writing after the appends were acknowledged): unchanged for 300 ms, or after 10 s.
     */
    private long settledWrites() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long seen = crashing.writesSinceArmed();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(300)) {
            Thread.sleep(20);
            long now = crashing.writesSinceArmed();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
        return seen;
    }

    /** Crashes at about {@code cutPoints} evenly spaced writes of a second wave of writes, reopening each time. */
    private void crashAtWritesOfACommit(int cutPoints) throws Exception {
        await(store.close());
        store = null;
        // How many writes the second wave makes to the store file when nothing crashes.
        long total;
        MapDbFixture probe = new MapDbFixture();
        try {
            EventStore s = openCrashable(probe.dir());
            crashDuringSecondWave(s, Long.MAX_VALUE);
            total = settledWrites();
            await(s.close());
        } finally {
            probe.cleanup();
        }
        assertTrue(total > 10, "the second wave wrote only " + total + " times to the store file");
        long step = Math.max(1, total / cutPoints);
        int cuts = 0;
        for (long budget = 0; budget <= total; budget += step) {
            MapDbFixture dir = new MapDbFixture();
            try {
                EventStore s = openCrashable(dir.dir());
                Scenario sc = crashDuringSecondWave(s, budget);
                settledWrites(); // with the redo log, checkpoints write to the store file behind the acknowledgements
                crashing.kill();
                awaitQuietly(s.close());
                EventStore reopened = await(MapDbEventStore.open(vertx, options(dir.dir())));
                try {
                    verifyAfterReopen(reopened, sc, false);
                } catch (AssertionError e) {
                    throw new AssertionError("crash after " + budget + " of " + total + " writes: " + e.getMessage(), e);
                } finally {
                    await(reopened.close());
                }
                cuts++;
            } finally {
                dir.cleanup();
            }
        }
        assertTrue(cuts >= Math.min(cutPoints, total), cuts + " cuts");
    }

    @Test
    void aTornJournalIsDiscardedAndACompleteOneIsApplied() throws Exception {
        await(store.close());
        store = null;
        // Crash at the first write to the store file: the commit's journal is complete, the file untouched.
        MapDbFixture template = new MapDbFixture();
        try {
            EventStore s = openCrashable(template.dir());
            Scenario sc = crashDuringSecondWave(s, 0);
            crashing.kill();
            awaitQuietly(s.close());
            Path journal = CommitJournalVolume.journalOf(template.dir().resolve(MapDbBatchStorage.FILE_NAME));
            long size = Files.size(journal);
            assertTrue(size > 0, "no journal was left behind");
            for (long cut : new long[]{0, 1, 11, 12, 20, size / 3, size / 2, size - 17, size - 16, size - 9, size - 1, size}) {
                MapDbFixture dir = new MapDbFixture();
                try {
                    MapDbFixture.copyTree(template.dir(), dir.dir());
                    try (FileChannel ch = FileChannel.open(CommitJournalVolume.journalOf(
                            dir.dir().resolve(MapDbBatchStorage.FILE_NAME)), StandardOpenOption.WRITE)) {
                        ch.truncate(cut);
                    }
                    EventStore reopened = await(MapDbEventStore.open(vertx, options(dir.dir())));
                    try {
                        verifyAfterReopen(reopened, sc, cut < size);
                    } catch (AssertionError e) {
                        throw new AssertionError("journal cut at " + cut + " of " + size + ": " + e.getMessage(), e);
                    } finally {
                        await(reopened.close());
                    }
                } finally {
                    dir.cleanup();
                }
            }
        } finally {
            template.cleanup();
        }
    }

    private static List<NewRecord> batch(String wave, int log, int batch, int n) {
        List<NewRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] data = (wave + " log " + log + " batch " + batch + " #" + i + " " + "x".repeat(100 + i * 13)).getBytes();
            records.add(new NewRecord("key-" + (i % 5), data, null, null, Map.of()));
        }
        return records;
    }

    private List<StoredRecord> readAllOf(EventStore s, String log) {
        EventStore saved = store;
        store = s;
        try {
            return readAll(log);
        } finally {
            store = saved;
        }
    }

    private static void awaitQuietly(Future<?> f) {
        try {
            await(f);
        } catch (Throwable ignored) {
            // failed: the crash or the fence after it
        }
    }

}
