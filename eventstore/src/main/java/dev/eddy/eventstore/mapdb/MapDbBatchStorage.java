package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.StorageUnavailableException;
import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.impl.MetadataKey;
import org.mapdb.Atomic;
import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.Serializer;
import org.mapdb.StoreWAL;
import org.mapdb.volume.FileChannelVol;
import org.mapdb.volume.MappedFileVol;
import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * Batches in MapDB (transactions on, so every commit goes through the write-ahead log). Thread-safe as
 * MapDB's default DB is; writes come from one thread: the {@link RedoLoggedStorage}'s checkpointer (the default),
 * or the engine's writer when the store runs without the redo log.
 *
 * <p>Layout: {@code logs} maps a log's name to a numeric id (log names are arbitrary strings; collection
 * names are not), and per id {@code batches_<id>} (first position to batch) and {@code keys_<id>} (first
 * position to key section), both with values outside the BTree nodes (values inside nodes measured ~20x
 * slower for batch-sized values). {@code trims} holds each log's last trim summary, {@code metadata} the
 * metadata entries under {@link MetadataKey#encoded()}.
 *
 * <p>Crash safety: MapDB 3.1.0's {@code StoreWAL} overwrites the store file in place during {@code commit()} and
 * never replays its log at open, so a crash in the middle of a commit used to corrupt the file. The store file is
 * therefore opened through a {@link CommitJournalVolume}, which makes each commit's writes to it atomic.
 */
final class MapDbBatchStorage implements BatchStorage {

    static final String FILE_NAME = "eddy.db";

    /** MapDB's default lock striping (DBMaker's concurrencyScale 8); it does not affect the file format. */
    private static final int CONC_SHIFT = CC.STORE_DIRECT_CONC_SHIFT;

    private final Path file;
    private final DB db;
    private final BTreeMap<String, Long> logs;
    private final Atomic.Long logSequence;
    private final BTreeMap<Long, byte[]> trims;
    private final BTreeMap<String, byte[]> metadata;
    /** Ids of detached logs whose batches are still being removed. */
    private final NavigableSet<Long> purging;

    private MapDbBatchStorage(Path file, DB db) {
        this.file = file;
        this.db = db;
        this.logs = db.treeMap("logs", Serializer.STRING, Serializer.LONG).createOrOpen();
        this.logSequence = db.atomicLong("log_sequence").createOrOpen();
        this.trims = db.treeMap("trims", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.metadata = db.treeMap("metadata", Serializer.STRING, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.purging = db.treeSet("purging", Serializer.LONG).createOrOpen();
        db.commit();
    }

    static MapDbBatchStorage openBlocking(MapDbOptions options) {
        return openBlocking(options, UnaryOperator.identity());
    }

    /**
     * Opens the store; {@code fileWrapper} wraps the store file's volume under the commit journal (tests use it
     * to simulate a crash while a commit is copied into the file).
     */
    static MapDbBatchStorage openBlocking(MapDbOptions options, UnaryOperator<Volume> fileWrapper) {
        Path dir = options.dataDir().toAbsolutePath();
        Path file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageUnavailableException("cannot create the data directory " + dir + ": " + e, e);
        }
        // What DBMaker.fileDB(file).transactionEnable() builds (with fileChannelEnable() or
        // fileMmapEnable().cleanerHackEnable()), except that the store file goes through the commit journal.
        VolumeFactory mapped = new MappedFileVol.MappedFileFactory(true, false);
        VolumeFactory base = options.mmap() && mmapSupported() ? mapped : FileChannelVol.FACTORY;
        // Behind the redo log, MapDB's own write-ahead log is memory-mapped where possible (see
        // JournaledVolumeFactory): its slower sync only costs the checkpointer, off the acknowledgement path.
        VolumeFactory volumes = new JournaledVolumeFactory(base,
                options.redoLog() && mmapSupported() ? mapped : base, file, fileWrapper);
        DB db;
        try {
            boolean existed = volumes.exists(file.toString());
            StoreWAL store = StoreWAL.make(file.toString(), volumes, 0L, true, CONC_SHIFT, 0L, 0L,
                    false, false, false, true, false);
            try {
                db = new DB(store, existed, true, MapDbBatchStorage.class.getClassLoader(), 0);
            } catch (RuntimeException | Error e) {
                store.close();
                throw e;
            }
        } catch (DBException.FileLocked | java.nio.channels.OverlappingFileLockException e) {
            throw new StorageUnavailableException("the data directory " + dir
                    + " is in use by another Eddy process (its " + FILE_NAME + " is locked)", e);
        } catch (DBException | UncheckedIOException e) {
            throw new StorageUnavailableException("cannot open " + file + ": " + e.getMessage(), e);
        }
        try {
            return new MapDbBatchStorage(file, db);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** What MapDB's fileMmapEnableIfSupported() checks: a 64-bit JVM, not on Windows. */
    private static boolean mmapSupported() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "");
        return arch.contains("64") && !os.toLowerCase(Locale.ROOT).startsWith("windows");
    }

    @Override
    public String name() {
        return "mapdb";
    }

    private final class Slot implements LogSlot {
        final long id;
        final BTreeMap<Long, byte[]> batches;
        final BTreeMap<Long, byte[]> keySections;

        Slot(long id) {
            this.id = id;
            this.batches = db.treeMap(batchesName(id), Serializer.LONG, Serializer.BYTE_ARRAY)
                    .valuesOutsideNodesEnable().createOrOpen();
            this.keySections = db.treeMap(keysName(id), Serializer.LONG, Serializer.BYTE_ARRAY)
                    .valuesOutsideNodesEnable().createOrOpen();
        }

        @Override
        public void putBatchBlocking(long firstPosition, byte[] batch, byte[] keySection) {
            batches.put(firstPosition, batch);
            keySections.put(firstPosition, keySection);
        }

        @Override
        public byte[] batchBlocking(long firstPosition) {
            return batches.get(firstPosition);
        }

        @Override
        public void removeBatchesBlocking(long[] firstPositions) {
            for (long first : firstPositions) {
                batches.remove(first);
                keySections.remove(first);
            }
        }

        @Override
        public void putTrimSummaryBlocking(byte[] summary) {
            trims.put(id, summary);
        }
    }

    private static String batchesName(long id) {
        return "batches_" + id;
    }

    private static String keysName(long id) {
        return "keys_" + id;
    }

    @Override
    public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
        for (Map.Entry<String, Long> e : logs.entrySet()) {
            Slot slot = new Slot(e.getValue());
            consumer.accept(e.getKey(), slot, trims.get(slot.id), slot.keySections.entrySet().iterator());
        }
    }

    @Override
    public void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer) {
        metadata.forEach((k, v) -> consumer.accept(MetadataKey.decode(k), v));
    }

    @Override
    public LogSlot createLogBlocking(String log) {
        long id = logSequence.incrementAndGet();
        Slot slot = new Slot(id);
        logs.put(log, id);
        return slot;
    }

    @Override
    public void detachLogBlocking(String log, LogSlot logSlot) {
        Slot slot = (Slot) logSlot;
        logs.remove(log, slot.id);
        trims.remove(slot.id);
        purging.add(slot.id);
    }

    @Override
    public boolean purgeBlocking(int maxBatches) {
        if (purging.isEmpty()) {
            return false;
        }
        long id = purging.first();
        Slot slot = new Slot(id);
        List<Long> firsts = new ArrayList<>(maxBatches);
        for (Long first : slot.keySections.keySet()) {
            if (firsts.size() == maxBatches) {
                break;
            }
            firsts.add(first);
        }
        for (Long first : firsts) {
            slot.batches.remove(first);
            slot.keySections.remove(first);
        }
        if (firsts.size() < maxBatches && slot.batches.isEmpty()) {
            // MapDB has no call to drop a named collection; forget the emptied ones so the catalog does not
            // grow. Ids are never reused, so the names cannot come back.
            SortedMap<String, String> catalog = db.nameCatalogLoad();
            catalog.keySet().removeIf(k -> k.startsWith(batchesName(id) + "#") || k.startsWith(keysName(id) + "#"));
            db.nameCatalogSave(catalog);
            purging.remove(id);
        }
        return !purging.isEmpty();
    }

    /** Ids of the logs whose batch collections exist in the file (diagnostics and tests). */
    java.util.Set<Long> batchCollectionIdsBlocking() {
        java.util.Set<Long> ids = new java.util.TreeSet<>();
        for (String name : db.nameCatalogLoad().keySet()) {
            if (name.startsWith("batches_")) {
                ids.add(Long.parseLong(name.substring("batches_".length(), name.indexOf('#'))));
            }
        }
        return ids;
    }

    /** One metadata entry, or {@code null}. */
    byte[] metadataBlocking(MetadataKey key) {
        return metadata.get(key.encoded());
    }

    /** The store file. */
    Path file() {
        return file;
    }

    @Override
    public void putMetadataBlocking(MetadataKey key, byte[] value) {
        metadata.put(key.encoded(), value);
    }

    @Override
    public void removeMetadataBlocking(MetadataKey key) {
        metadata.remove(key.encoded());
    }

    @Override
    public void commitBlocking() {
        db.commit();
    }

    @Override
    public void closeBlocking() {
        if (!db.isClosed()) {
            db.close();
        }
    }

    @Override
    public String toString() {
        return "MapDbBatchStorage[" + file + "]";
    }
}
