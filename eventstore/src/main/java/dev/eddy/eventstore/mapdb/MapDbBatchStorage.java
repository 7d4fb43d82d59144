package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.impl.BatchCodec;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;

/**
 * Batches in MapDB (transactions on, so every commit goes through the write-ahead log). Thread-safe as
 * MapDB's default DB is; writes come from one thread: the {@link LoggedBatchStorage}'s checkpointer (the default),
 * or the engine's writer when the store runs without the segment log.
 *
 * <p>Layout: {@code logs} maps a log's name to a numeric id (log names are arbitrary strings; collection
 * names are not), and per id {@code locs_<id>}: first position to where the batch and its key section lie in the
 * {@link SegmentLog} and the batch's meta ({@link Location}: one small put per batch), so that opening a log reads
 * no keys. Batches written without the segment log (and by stores from before it) are held in MapDB itself:
 * {@code batches_<id>} (first position to batch) and {@code keys_<id>} (first position to key section), both with
 * values outside the BTree nodes (values inside nodes measured ~20x slower for batch-sized values), and
 * {@code metas_<id>} (first position to count, arrival and data bytes). {@code segments} counts the live
 * batches per log segment (a segment without any can go). The engine's key index lives in the {@code eddy.keys}
 * directory beside the file. {@code trims} holds each log's last trim summary, {@code metadata} the metadata
 * entries under {@link MetadataKey#encoded()}.
 *
 * <p>Crash safety: MapDB 3.1.0's {@code StoreWAL} overwrites the store file in place during {@code commit()} and
 * never replays its log at open, so a crash in the middle of a commit used to corrupt the file. The store file is
 * therefore opened through a {@link CommitJournalVolume}, which makes each commit's writes to it atomic.
 */
final class MapDbBatchStorage implements BatchStorage {

    static final String FILE_NAME = "eddy.db";
    /** The key index's directory beside the store file. */
    static final String KEY_INDEX_DIR = "eddy.keys";

    /** MapDB's default lock striping (DBMaker's concurrencyScale 8); it does not affect the file format. */
    private static final int CONC_SHIFT = CC.STORE_DIRECT_CONC_SHIFT;

    private final Path file;
    private final DB db;
    private final long keyIndexFlushEntries;
    private final BTreeMap<String, Long> logs;
    private final Atomic.Long logSequence;
    private final BTreeMap<Long, byte[]> trims;
    private final BTreeMap<String, byte[]> metadata;
    /** Ids of detached logs whose batches are still being removed. */
    private final NavigableSet<Long> purging;
    /** Live batches per log segment, as committed (segments without any are absent). */
    private final BTreeMap<Long, Long> segmentUsage;
    /** The same with the changes not yet written to {@link #segmentUsage}; writer thread only. */
    private final TreeMap<Long, Long> usage = new TreeMap<>();
    private final Set<Long> usageChanged = new HashSet<>();
    /** Where located batches are read from; set once at open (before any read). */
    private volatile SegmentLog segments;

    private MapDbBatchStorage(Path file, DB db, long keyIndexFlushEntries) {
        this.file = file;
        this.db = db;
        this.keyIndexFlushEntries = keyIndexFlushEntries;
        this.logs = db.treeMap("logs", Serializer.STRING, Serializer.LONG).createOrOpen();
        this.logSequence = db.atomicLong("log_sequence").createOrOpen();
        this.trims = db.treeMap("trims", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.metadata = db.treeMap("metadata", Serializer.STRING, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.purging = db.treeSet("purging", Serializer.LONG).createOrOpen();
        this.segmentUsage = db.treeMap("segments", Serializer.LONG, Serializer.LONG).createOrOpen();
        usage.putAll(segmentUsage);
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
        // Behind the segment log, MapDB's own write-ahead log is memory-mapped where possible (see
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
            return new MapDbBatchStorage(file, db, options.keyIndexFlushEntries());
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

    /** One stored log's collections. */
    final class Slot implements LogSlot {
        final long id;
        final BTreeMap<Long, long[]> locations;
        final BTreeMap<Long, byte[]> batches;
        final BTreeMap<Long, byte[]> keySections;
        /** Per batch {count, arrival, data bytes}: what opening the log needs, without the keys. */
        final BTreeMap<Long, long[]> metas;

        Slot(long id) {
            this.id = id;
            this.locations = db.treeMap(locsName(id), Serializer.LONG, Serializer.LONG_ARRAY).createOrOpen();
            this.batches = db.treeMap(batchesName(id), Serializer.LONG, Serializer.BYTE_ARRAY)
                    .valuesOutsideNodesEnable().createOrOpen();
            this.keySections = db.treeMap(keysName(id), Serializer.LONG, Serializer.BYTE_ARRAY)
                    .valuesOutsideNodesEnable().createOrOpen();
            this.metas = db.treeMap(metasName(id), Serializer.LONG, Serializer.LONG_ARRAY).createOrOpen();
        }

        @Override
        public void putBatchBlocking(long firstPosition, byte[] batch, byte[] keySection) {
            batches.put(firstPosition, batch);
            keySections.put(firstPosition, keySection);
            metas.put(firstPosition, metaOf(keySection));
        }

        /** Records where a batch written to the segment log lies, with its meta ({@link Location}). */
        void putLocatedBatchBlocking(long firstPosition, long[] location) {
            locations.put(firstPosition, location);
            countUsage(Location.segmentOf(location), 1);
        }

        @Override
        public byte[] batchBlocking(long firstPosition) {
            long[] location = locations.get(firstPosition);
            if (location != null) {
                return readLocated(location, false);
            }
            return batches.get(firstPosition);
        }

        /** The key section of the batch at that first position, or {@code null}. */
        byte[] keySectionBlocking(long firstPosition) {
            long[] location = locations.get(firstPosition);
            if (location != null) {
                return readLocated(location, true);
            }
            return keySections.get(firstPosition);
        }

        @Override
        public void removeBatchesBlocking(long[] firstPositions) {
            for (long first : firstPositions) {
                removeBatch(this, first);
            }
        }

        @Override
        public void putTrimSummaryBlocking(byte[] summary) {
            trims.put(id, summary);
        }
    }

    private void removeBatch(Slot slot, long first) {
        long[] location = slot.locations.remove(first);
        if (location != null) {
            countUsage(Location.segmentOf(location), -1);
        }
        slot.batches.remove(first);
        slot.keySections.remove(first);
        slot.metas.remove(first);
    }

    private byte[] readLocated(long[] location, boolean keySection) {
        SegmentLog log = segments;
        if (log == null) {
            throw new StorageUnavailableException(file + " holds batches in its log segments, which are not open");
        }
        return keySection ? Location.readKeySectionBlocking(log, location) : Location.readBatchBlocking(log, location);
    }

    private void countUsage(long segment, long delta) {
        usage.merge(segment, delta, (a, b) -> a + b == 0 ? null : a + b);
        usageChanged.add(segment);
    }

    /** Reads located batches from this log from now on (and closes it with the store). */
    void attachSegments(SegmentLog log) {
        this.segments = log;
    }

    /** The attached segment log, or {@code null}. */
    SegmentLog segments() {
        return segments;
    }

    /** The segments that hold live batches (including changes not yet committed); writer thread. */
    Set<Long> usedSegments() {
        return java.util.Collections.unmodifiableSet(usage.keySet());
    }

    /** Two position-ordered runs as one. */
    private static <T> Iterator<T> merged(Iterator<T> a, Iterator<T> b, ToLongFunction<T> position) {
        return new Iterator<>() {
            T nextA = a.hasNext() ? a.next() : null;
            T nextB = b.hasNext() ? b.next() : null;

            @Override
            public boolean hasNext() {
                return nextA != null || nextB != null;
            }

            @Override
            public T next() {
                if (nextA == null && nextB == null) {
                    throw new NoSuchElementException();
                }
                T out;
                if (nextB == null || (nextA != null && position.applyAsLong(nextA) <= position.applyAsLong(nextB))) {
                    out = nextA;
                    nextA = a.hasNext() ? a.next() : null;
                } else {
                    out = nextB;
                    nextB = b.hasNext() ? b.next() : null;
                }
                return out;
            }
        };
    }

    private static String locsName(long id) {
        return "locs_" + id;
    }

    private static String batchesName(long id) {
        return "batches_" + id;
    }

    private static String keysName(long id) {
        return "keys_" + id;
    }

    private static String metasName(long id) {
        return "metas_" + id;
    }

    static long[] metaOf(byte[] keySection) {
        return new long[] {BatchCodec.countOf(keySection), BatchCodec.arrivalOf(keySection),
                BatchCodec.dataBytesOf(keySection)};
    }

    /** The logs by name with their slots, without reading any batch. */
    Map<String, Slot> slotsBlocking() {
        Map<String, Slot> slots = new HashMap<>();
        logs.forEach((name, id) -> slots.put(name, new Slot(id)));
        return slots;
    }

    @Override
    public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
        boolean migrated = false;
        for (Map.Entry<String, Long> e : logs.entrySet()) {
            Slot slot = new Slot(e.getValue());
            if (slot.metas.isEmpty() && !slot.keySections.isEmpty()) {
                // A log stored before batch metas existed: derive them from its key sections, once.
                slot.keySections.forEach((first, section) -> slot.metas.put(first, metaOf(section)));
                migrated = true;
            }
            // Batches held by MapDB (metas) and batches in the segment log (locations), merged in position order.
            Iterator<BatchMeta> metas = merged(
                    slot.metas.entrySet().stream()
                            .map(m -> new BatchMeta(m.getKey(), (int) m.getValue()[0], m.getValue()[1], m.getValue()[2]))
                            .iterator(),
                    slot.locations.entrySet().stream()
                            .map(m -> Location.metaOf(m.getKey(), m.getValue()))
                            .iterator(),
                    BatchMeta::first);
            consumer.accept(e.getKey(), slot, trims.get(slot.id), metas, from -> {
                Iterator<Long> firsts = merged(slot.metas.tailMap(from, true).keySet().iterator(),
                        slot.locations.tailMap(from, true).keySet().iterator(), Long::longValue);
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return firsts.hasNext();
                    }

                    @Override
                    public byte[] next() {
                        return slot.keySectionBlocking(firsts.next());
                    }
                };
            });
        }
        if (migrated) {
            db.commit();
        }
    }

    @Override
    public Path keyIndexDirectory() {
        return file.resolveSibling(KEY_INDEX_DIR);
    }

    @Override
    public long keyIndexFlushEntries() {
        return keyIndexFlushEntries;
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
        for (Long first : slot.locations.keySet()) {
            if (firsts.size() == maxBatches) {
                break;
            }
            firsts.add(first);
        }
        // batches held by MapDB: metas cover them, except in stores from before metas existed (key sections do)
        for (Long first : slot.metas.isEmpty() ? slot.keySections.keySet() : slot.metas.keySet()) {
            if (firsts.size() == maxBatches) {
                break;
            }
            firsts.add(first);
        }
        for (Long first : firsts) {
            removeBatch(slot, first);
        }
        if (firsts.size() < maxBatches && slot.metas.isEmpty() && slot.keySections.isEmpty()
                && slot.batches.isEmpty() && slot.locations.isEmpty()) {
            // MapDB has no call to drop a named collection; forget the emptied ones so the catalog does not
            // grow. Ids are never reused, so the names cannot come back.
            SortedMap<String, String> catalog = db.nameCatalogLoad();
            catalog.keySet().removeIf(k -> k.startsWith(batchesName(id) + "#") || k.startsWith(keysName(id) + "#")
                    || k.startsWith(metasName(id) + "#") || k.startsWith(locsName(id) + "#"));
            db.nameCatalogSave(catalog);
            purging.remove(id);
        }
        return !purging.isEmpty();
    }

    /** Ids of the logs whose batch collections exist in the file (diagnostics and tests). */
    Set<Long> batchCollectionIdsBlocking() {
        Set<Long> ids = new TreeSet<>();
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
        for (Long segment : usageChanged) {
            Long n = usage.get(segment);
            if (n == null) {
                segmentUsage.remove(segment);
            } else {
                segmentUsage.put(segment, n);
            }
        }
        usageChanged.clear();
        db.commit();
    }

    @Override
    public void closeBlocking() {
        SegmentLog log = segments;
        if (log != null) {
            log.close();
        }
        if (!db.isClosed()) {
            db.close();
        }
    }

    @Override
    public String toString() {
        return "MapDbBatchStorage[" + file + "]";
    }
}
