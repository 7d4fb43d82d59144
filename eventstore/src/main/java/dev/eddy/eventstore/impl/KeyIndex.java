package dev.eddy.eventstore.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.zip.CRC32C;

/**
 * The store-wide part of the per-key index (partition keys' versions and positions, event ids' positions)
 * below the logs' in-memory tables: frozen in-memory tables waiting to be written, and immutable sorted
 * {@link KeyTable} files, merged in the background as they accumulate. Each log's newest entries stay in its
 * {@link LogIndex}; once the entries in memory reach a bound, the writer {@linkplain #rotate freezes} them all
 * after a commit (so only durable entries ever reach a file) and this index's thread writes them out.
 *
 * <p>A manifest ({@code MANIFEST}) names the live tables and, per log, its id in the tables and the position
 * below which the tables hold all its entries ({@code indexedNext}); at open, a log re-reads only its key
 * sections from there on, not every key it ever had. The manifest is replaced atomically (write, fsync,
 * rename, fsync the directory), after the tables it names are durable. Deleting a log removes it from the
 * manifest at once, so a log re-created under the same name gets a new id and never sees the old entries;
 * merges drop entries of logs no longer in the manifest.
 *
 * <p>Thread-safe: lookups read an immutable snapshot of the layers (no lock); the writer thread rotates; one
 * background thread flushes and merges; the manifest state is guarded by {@code this}. Without a directory
 * (the memory backend) nothing is ever frozen or written.
 */
final class KeyIndex {

    private static final String MANIFEST = "MANIFEST";
    private static final int MANIFEST_MAGIC = 0x45444B4D; // "EDKM"
    private static final int MANIFEST_FORMAT = 1;
    private static final String TABLE_SUFFIX = ".keys";
    /** Tables of one size tier merged together once this many are adjacent. */
    private static final int MERGE_WIDTH = 4;
    /** Frozen runs waiting for the flusher before the writer waits for it. */
    private static final int MAX_FROZEN = 2;

    /**
     * A log's frozen in-memory table: its keys' histories and event ids, and the log's next position and
     * horizon when it was frozen. Immutable.
     */
    record Frozen(String log, long logId, Map<String, KeyHistory> keys, Map<String, Long> events, long next,
                  long horizon) {
    }

    /** What lookups search below the logs' own tables, newest first. Immutable. */
    private record Layers(List<Map<Long, Frozen>> frozen, List<KeyTable> tables) {
    }

    /** A log's place in the index as the manifest records it. */
    record Attached(long id, long indexedNext) {
    }

    private static final Object STOP = new Object();
    private static final System.Logger LOG = System.getLogger(KeyIndex.class.getName());

    private final Path dir;
    private final long flushEntries;
    private volatile Layers layers = new Layers(List.of(), List.of());
    private final BlockingQueue<Object> work = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile Throwable failure;

    // Manifest state, guarded by this.
    private final Map<String, Attached> logs = new HashMap<>();
    private long nextLogId = 1;
    private long nextGeneration = 1;

    /** Entries added to the logs' tables since the last rotation. Writer thread only. */
    private long memEntries;

    private KeyIndex(Path dir, long flushEntries) {
        this.dir = dir;
        this.flushEntries = flushEntries;
        if (dir != null) {
            thread = new Thread(this::loop, "eddy-key-index");
            thread.setDaemon(true);
        } else {
            thread = null;
        }
    }

    /** An index that keeps everything in the logs' own tables (the memory backend). */
    static KeyIndex inMemory() {
        return new KeyIndex(null, Long.MAX_VALUE);
    }

    /**
     * Opens (or creates) the index in {@code dir}: reads the manifest, maps its tables and deletes files it
     * does not name. Entries are frozen and written once {@code flushEntries} accumulate in memory. Blocking.
     */
    static KeyIndex openBlocking(Path dir, long flushEntries) {
        KeyIndex index = new KeyIndex(dir, flushEntries);
        try {
            index.loadBlocking();
        } catch (IllegalStateException | UncheckedIOException damaged) {
            // The index is derived from the key sections: rather than refuse to start, rebuild it (each log
            // re-reads its key sections once).
            LOG.log(System.Logger.Level.WARNING, "The key index in " + dir + " cannot be read (" + damaged.getMessage()
                    + "); it is rebuilt from the stored key sections", damaged);
            deleteContentsBlocking(dir);
            index = new KeyIndex(dir, flushEntries);
            index.loadBlocking();
        }
        index.thread.start();
        return index;
    }

    private static void deleteContentsBlocking(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the damaged key index in " + dir + ": " + e, e);
        }
    }

    // ---- logs ----

    /** The log's id and indexed prefix, registering a new log (or a log the index does not know) as empty. */
    synchronized Attached attach(String log) {
        Attached a = logs.get(log);
        if (a == null) {
            a = new Attached(nextLogId++, 0);
            logs.put(log, a);
        }
        return a;
    }

    /**
     * Forgets a log that the index holds more of than the data (e.g. data restored from elsewhere) and attaches
     * it afresh.
     */
    synchronized Attached reattach(String log) {
        logs.remove(log);
        return attach(log);
    }

    /** Forgets a deleted log, durably before returning, so a log re-created under its name starts empty. */
    synchronized void dropBlocking(String log) {
        if (logs.remove(log) != null) {
            writeManifestBlocking();
        }
    }

    /** After recovery: forgets the logs the store no longer holds. Blocking. */
    synchronized void retainOnlyBlocking(Set<String> live) {
        if (logs.keySet().retainAll(live)) {
            writeManifestBlocking();
        }
    }

    // ---- writer thread ----

    void added(int entries) {
        memEntries += entries;
    }

    boolean shouldRotate() {
        return memEntries >= flushEntries;
    }

    /**
     * Hands the frozen tables of every log to the background writer; they stay searchable until their file
     * is in place. Waits while earlier ones are still being written. Writer thread, after a commit. Returns
     * whether they are searchable here now (so the logs may drop them from memory); never without files.
     */
    boolean rotate(Map<Long, Frozen> run) {
        memEntries = 0;
        if (dir == null || run.isEmpty()) {
            return false;
        }
        synchronized (this) {
            while (layers.frozen.size() >= MAX_FROZEN && failure == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the key index", e);
                }
            }
            checkFailure();
            List<Map<Long, Frozen>> frozen = new ArrayList<>(layers.frozen.size() + 1);
            frozen.add(run);
            frozen.addAll(layers.frozen);
            layers = new Layers(List.copyOf(frozen), layers.tables);
        }
        work.add(run);
        return true;
    }

    /** Writes what is frozen and stops the background thread. Blocking. */
    void closeBlocking() {
        if (thread == null) {
            return;
        }
        work.add(STOP);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkFailure();
    }

    private void checkFailure() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("the key index failed to write: " + f, f);
        }
    }

    // ---- lookups below the logs' own tables (any thread, no lock; tables are memory-mapped) ----

    /** Whether anything lies below the logs' own tables (otherwise lookups need not leave memory). */
    boolean hasLayers() {
        Layers l = layers;
        return !l.frozen.isEmpty() || !l.tables.isEmpty();
    }

    /** The key's highest version below the logs' own tables, or -1. */
    long latestVersion(long logId, String key) {
        Layers l = layers;
        for (Map<Long, Frozen> run : l.frozen) {
            Frozen f = run.get(logId);
            KeyHistory h = f == null ? null : f.keys.get(key);
            if (h != null) {
                return h.nextVersion() - 1;
            }
        }
        if (l.tables.isEmpty()) {
            return -1;
        }
        KeyHash hash = KeyHash.ofKey(key);
        for (KeyTable t : l.tables) {
            long v = t.latestVersion(logId, hash.hi(), hash.lo());
            if (v >= 0) {
                return v;
            }
        }
        return -1;
    }

    /** The position stored for the event id below the logs' own tables, or -1. */
    long eventPosition(long logId, String eventId) {
        Layers l = layers;
        for (Map<Long, Frozen> run : l.frozen) {
            Frozen f = run.get(logId);
            Long p = f == null ? null : f.events.get(eventId);
            if (p != null) {
                return p;
            }
        }
        if (l.tables.isEmpty()) {
            return -1;
        }
        KeyHash hash = KeyHash.ofEventId(eventId);
        for (KeyTable t : l.tables) {
            long p = t.firstPosition(logId, hash.hi(), hash.lo());
            if (p >= 0) {
                return p;
            }
        }
        return -1;
    }

    /** The key's version at that position below the logs' own tables, or -1. */
    long versionAt(long logId, String key, long position) {
        Layers l = layers;
        for (Map<Long, Frozen> run : l.frozen) {
            Frozen f = run.get(logId);
            KeyHistory h = f == null ? null : f.keys.get(key);
            long v = h == null ? -1 : h.versionAt(position);
            if (v >= 0) {
                return v;
            }
        }
        if (l.tables.isEmpty()) {
            return -1;
        }
        KeyHash hash = KeyHash.ofKey(key);
        for (KeyTable t : l.tables) {
            long v = t.versionAt(logId, hash.hi(), hash.lo(), position);
            if (v >= 0) {
                return v;
            }
        }
        return -1;
    }

    /**
     * Adds the key's entries below the logs' own tables with versions from {@code fromVersion} on and
     * positions from {@code minPosition} on to {@code out} (version to position), at most {@code max} per layer.
     */
    void entries(long logId, String key, long fromVersion, long minPosition, int max, TreeMap<Long, Long> out) {
        Layers l = layers;
        for (Map<Long, Frozen> run : l.frozen) {
            Frozen f = run.get(logId);
            KeyHistory h = f == null ? null : f.keys.get(key);
            if (h != null) {
                h.forEach(fromVersion, minPosition, max, out::put);
            }
        }
        if (l.tables.isEmpty()) {
            return;
        }
        KeyHash hash = KeyHash.ofKey(key);
        for (KeyTable t : l.tables) {
            t.entries(logId, hash.hi(), hash.lo(), fromVersion, minPosition, max, out::put);
        }
    }

    // ---- the background thread ----

    @SuppressWarnings("unchecked")
    private void loop() {
        try {
            while (true) {
                Object w = work.take();
                if (w == STOP) {
                    break;
                }
                flushBlocking((Map<Long, Frozen>) w);
                mergeBlocking();
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private void flushBlocking(Map<Long, Frozen> run) {
        List<long[]> entries = new ArrayList<>();
        for (Frozen f : run.values()) {
            f.keys.forEach((key, h) -> {
                KeyHash hash = KeyHash.ofKey(key);
                h.forEach(0, Long.MIN_VALUE, Integer.MAX_VALUE, (version, position) ->
                        entries.add(new long[] {f.logId, hash.hi(), hash.lo(), version, position}));
                if (h.isEmpty() && h.nextVersion() > 0) {
                    // A key whose records were all trimmed keeps its version: an entry at a position below the
                    // horizon (read paths skip it; the key's positions still grow with its versions).
                    entries.add(new long[] {f.logId, hash.hi(), hash.lo(), h.nextVersion() - 1, f.horizon - 1});
                }
            });
            f.events.forEach((id, position) -> {
                KeyHash hash = KeyHash.ofEventId(id);
                entries.add(new long[] {f.logId, hash.hi(), hash.lo(), 0, position});
            });
        }
        entries.sort((a, b) -> KeyTable.compare(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]));
        long generation;
        synchronized (this) {
            generation = nextGeneration++;
        }
        int[] i = {0};
        KeyTable table = KeyTable.writeBlocking(tableFile(generation), generation, entries.size(), e -> {
            if (i[0] == entries.size()) {
                return false;
            }
            System.arraycopy(entries.get(i[0]++), 0, e, 0, 5);
            return true;
        });
        synchronized (this) {
            List<Map<Long, Frozen>> frozen = new ArrayList<>(layers.frozen);
            frozen.remove(run);
            List<KeyTable> tables = new ArrayList<>(layers.tables.size() + 1);
            tables.add(table);
            tables.addAll(layers.tables);
            for (Frozen f : run.values()) {
                Attached a = logs.get(f.log);
                if (a != null && a.id() == f.logId) {
                    logs.put(f.log, new Attached(a.id(), Math.max(a.indexedNext(), f.next)));
                }
            }
            layers = new Layers(List.copyOf(frozen), List.copyOf(tables));
            writeManifestBlocking();
            notifyAll();
        }
    }

    /** Merges adjacent tables of the same size tier while {@link #MERGE_WIDTH} of them line up. */
    private void mergeBlocking() {
        while (true) {
            List<KeyTable> tables = layers.tables; // only this thread replaces tables
            int[] group = mergeGroup(tables);
            if (group == null) {
                return;
            }
            List<KeyTable> inputs = tables.subList(group[0], group[1]);
            Set<Long> live;
            long generation;
            synchronized (this) {
                live = new HashSet<>();
                for (Attached a : logs.values()) {
                    live.add(a.id());
                }
                generation = nextGeneration++;
            }
            long max = 0;
            for (KeyTable t : inputs) {
                max += t.entries();
            }
            KeyTable merged = KeyTable.writeBlocking(tableFile(generation), generation, max, mergedSource(inputs, live));
            synchronized (this) {
                List<KeyTable> now = new ArrayList<>(layers.tables);
                int at = now.indexOf(inputs.get(0));
                now.removeAll(inputs);
                now.add(at, merged);
                layers = new Layers(layers.frozen, List.copyOf(now));
                writeManifestBlocking();
            }
            for (KeyTable t : inputs) {
                try {
                    // Lookups that still hold the old layers keep reading through their memory maps.
                    Files.deleteIfExists(t.file);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete merged key table " + t.file + ": " + e, e);
                }
            }
        }
    }

    /** The range [from, to) of tables (newest first) to merge next, or null. */
    private int[] mergeGroup(List<KeyTable> tables) {
        int i = 0;
        while (i < tables.size()) {
            int tier = tier(tables.get(i));
            int j = i + 1;
            while (j < tables.size() && tier(tables.get(j)) == tier) {
                j++;
            }
            if (j - i >= MERGE_WIDTH) {
                return new int[] {j - MERGE_WIDTH, j};
            }
            i = j;
        }
        return null;
    }

    private int tier(KeyTable t) {
        long units = Math.max(1, t.entries() / Math.max(1, flushEntries));
        return (63 - Long.numberOfLeadingZeros(units)) / 2; // a tier per factor of 4
    }

    /** The inputs' entries in order, without those of logs no longer in the manifest. */
    private static KeyTable.EntrySource mergedSource(List<KeyTable> inputs, Set<Long> live) {
        record Head(KeyTable table, long[] entry, long next) {
        }
        PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> KeyTable.compare(
                a.entry[0], a.entry[1], a.entry[2], a.entry[3], b.entry[0], b.entry[1], b.entry[2], b.entry[3]));
        for (KeyTable t : inputs) {
            if (t.entries() > 0) {
                long[] e = new long[5];
                t.entry(0, e);
                heads.add(new Head(t, e, 1));
            }
        }
        long[] last = {Long.MIN_VALUE, 0, 0, 0};
        return out -> {
            while (!heads.isEmpty()) {
                Head h = heads.poll();
                System.arraycopy(h.entry, 0, out, 0, 5);
                if (h.next < h.table.entries()) {
                    long[] e = new long[5];
                    h.table.entry(h.next, e);
                    heads.add(new Head(h.table, e, h.next + 1));
                }
                boolean duplicate = KeyTable.compare(last[0], last[1], last[2], last[3], out[0], out[1], out[2], out[3]) == 0;
                if (live.contains(out[0]) && !duplicate) {
                    System.arraycopy(out, 0, last, 0, 4);
                    return true;
                }
            }
            return false;
        };
    }

    // ---- files ----

    private Path tableFile(long generation) {
        return dir.resolve(String.format("%016d", generation) + TABLE_SUFFIX);
    }

    private void loadBlocking() {
        try {
            Files.createDirectories(dir);
            Path manifest = dir.resolve(MANIFEST);
            List<KeyTable> tables = new ArrayList<>();
            if (Files.exists(manifest)) {
                ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(manifest));
                if (buf.remaining() < 12 || buf.getInt() != MANIFEST_MAGIC || buf.getInt() != MANIFEST_FORMAT) {
                    throw new IllegalStateException("the key index manifest " + manifest + " is not one");
                }
                CRC32C crc = new CRC32C();
                crc.update(buf.array(), 0, buf.limit() - 4);
                if ((int) crc.getValue() != buf.getInt(buf.limit() - 4)) {
                    throw new IllegalStateException("the key index manifest " + manifest + " fails its checksum");
                }
                nextLogId = buf.getLong();
                nextGeneration = buf.getLong();
                int nTables = buf.getInt();
                for (int i = 0; i < nTables; i++) {
                    long generation = buf.getLong();
                    tables.add(KeyTable.openBlocking(tableFile(generation), generation));
                }
                int nLogs = buf.getInt();
                for (int i = 0; i < nLogs; i++) {
                    byte[] name = new byte[buf.getInt()];
                    buf.get(name);
                    logs.put(new String(name, StandardCharsets.UTF_8), new Attached(buf.getLong(), buf.getLong()));
                }
            }
            layers = new Layers(List.of(), List.copyOf(tables));
            Set<Path> named = new HashSet<>();
            named.add(manifest);
            for (KeyTable t : tables) {
                named.add(t.file);
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    if (!named.contains(f)) {
                        Files.delete(f); // an interrupted flush or merge, or a manifest never put in place
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the key index in " + dir + ": " + e, e);
        }
    }

    /** Replaces the manifest with the current state. Guarded by this; blocking. */
    private void writeManifestBlocking() {
        if (dir == null) {
            return;
        }
        List<byte[]> names = new ArrayList<>();
        int size = 4 + 4 + 8 + 8 + 4 + layers.tables.size() * 8 + 4 + 4;
        for (String log : logs.keySet()) {
            byte[] b = log.getBytes(StandardCharsets.UTF_8);
            names.add(b);
            size += 4 + b.length + 16;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putInt(MANIFEST_MAGIC).putInt(MANIFEST_FORMAT).putLong(nextLogId).putLong(nextGeneration);
        buf.putInt(layers.tables.size());
        for (KeyTable t : layers.tables) {
            buf.putLong(t.generation);
        }
        buf.putInt(logs.size());
        int i = 0;
        for (Attached a : logs.values()) {
            byte[] name = names.get(i++);
            buf.putInt(name.length).put(name).putLong(a.id()).putLong(a.indexedNext());
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        Path tmp = dir.resolve(MANIFEST + ".tmp");
        Path manifest = dir.resolve(MANIFEST);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, manifest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, manifest, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the key index manifest in " + dir + ": " + e, e);
        }
    }

    /** The live tables, newest first (tests and diagnostics). */
    Collection<KeyTable> tables() {
        return layers.tables;
    }
}
