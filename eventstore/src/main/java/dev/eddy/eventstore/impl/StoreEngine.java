package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.spi.WriteObserver;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The event store logic every backend shares, over a {@link BatchStorage} plug. Thread-safe.
 *
 * <p>Writes (appends, trims, deletes, metadata changes) go through one {@link GroupCommitWriter}; state,
 * versions, seeks and metadata are answered from memory; record reads decode stored batches on Vert.x
 * worker threads. Readers never see a record, trim or metadata change before the commit that made it durable.
 */
public abstract class StoreEngine implements EventStore {

    /** Reads of at most this many batches that are all in memory run on the caller's thread. */
    private static final int INLINE_READ_BATCHES = 4;
    private static final long RECENT_BATCH_BYTES = 8L * 1024 * 1024;

    private final Vertx vertx;
    private final BatchStorage storage;
    private final ConcurrentHashMap<String, LogIndex> logs = new ConcurrentHashMap<>();
    /** The logs each log continues ({@link #declareLineage}); most logs have none. */
    private final ConcurrentHashMap<String, List<String>> lineage = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<MetadataKey, byte[]> metadata = new ConcurrentSkipListMap<>();
    private final GroupCommitWriter writer;
    private final KeyIndex keyIndex;
    /** Recently committed batches in memory, so reads at the head of a log need no storage access. */
    private final RecentBatches recent = new RecentBatches(RECENT_BATCH_BYTES);
    private volatile boolean closed;

    /**
     * Rebuilds the in-memory state from the storage's batch metas, the key index and the key sections it
     * lacks, and the metadata; then starts the writer. Blocking: call on a worker thread.
     */
    protected StoreEngine(Vertx vertx, BatchStorage storage, int maxOpsPerCommit, long maxBytesPerCommit) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.storage = Objects.requireNonNull(storage, "storage");
        Path indexDir = storage.keyIndexDirectory();
        this.keyIndex = indexDir == null ? KeyIndex.inMemory()
                : KeyIndex.openBlocking(indexDir, storage.keyIndexFlushEntries());
        try {
            recoverBlocking();
        } catch (RuntimeException | Error e) {
            keyIndex.closeBlocking();
            throw e;
        }
        this.writer = new GroupCommitWriter(vertx, storage, maxOpsPerCommit, maxBytesPerCommit, this::afterCommit);
        purgeDetachedLogs(); // a deletion a restart interrupted carries on
    }

    /** Batches removed per writer operation while reclaiming a deleted log's space. */
    private static final int PURGE_STEP = 32;

    /**
     * Removes detached logs' data one step per writer operation, each step queued behind whatever was
     * submitted meanwhile, so appends interleave with a large deletion instead of waiting for all of it.
     */
    private void purgeDetachedLogs() {
        if (closed) {
            return;
        }
        writer.submit(PURGE_STEP * 64L, group -> storage.purgeBlocking(PURGE_STEP))
                .onSuccess(more -> {
                    if (more) {
                        purgeDetachedLogs();
                    }
                });
    }

    private void recoverBlocking() {
        storage.recoverMetadataBlocking(metadata::put);
        storage.recoverLogsBlocking((name, slot, trimSummary, batches, sections) -> {
            KeyIndex.Attached attached = keyIndex.attach(name);
            LogIndex index = new LogIndex(name, slot, keyIndex, attached.id());
            while (batches.hasNext()) {
                BatchStorage.BatchMeta b = batches.next();
                long dataBytes = b.dataBytes();
                if (dataBytes < 0) {
                    // A batch stored before its size was recorded: measure it once.
                    byte[] blob = slot.batchBlocking(b.first());
                    dataBytes = blob == null ? 0 : BatchCodec.dataBytesOfBatch(blob);
                }
                index.applyBatch(b.first(), b.count(), b.arrivalMillis(), dataBytes);
            }
            BatchCodec.TrimSummary trimmed = trimSummary == null ? null : BatchCodec.decodeTrimSummary(trimSummary);
            if (trimmed != null) {
                index.restoreBounds(trimmed);
            }
            long indexedNext = attached.indexedNext();
            if (indexedNext > index.next()) {
                // The key index holds more of this log than the data does: it cannot be this log's. Start over.
                index.rekey(keyIndex.reattach(name).id());
                indexedNext = 0;
            }
            // Only the key sections the key index lacks are read: opening does not visit every key.
            Iterator<byte[]> tail = sections.from(indexedNext);
            while (tail.hasNext()) {
                applyKeySection(index, tail.next());
            }
            if (trimmed != null) {
                index.restoreKeys(trimmed);
            }
            index.publish();
            logs.put(name, index);
            if (keyIndex.shouldRotate()) {
                rotateKeys(); // everything recovered is durable
            }
        });
        keyIndex.retainOnlyBlocking(logs.keySet());
    }

    private static void applyKeySection(LogIndex index, byte[] section) {
        int n = BatchCodec.countOf(section);
        String[] keys = new String[n];
        long[] versions = new long[n];
        String[] ids = new String[n];
        long[] first = {-1};
        int[] i = {0};
        BatchCodec.decodeKeySection(section, (position, key, version, eventId) -> {
            if (first[0] < 0) {
                first[0] = position;
            }
            keys[i[0]] = key;
            versions[i[0]] = version;
            ids[i[0]++] = eventId;
        });
        index.applyKeys(first[0], keys, versions, ids);
    }

    /** After every successful commit, on the writer thread: moves the keys in memory to the key index when due. */
    private void afterCommit() {
        if (keyIndex.shouldRotate()) {
            rotateKeys();
        }
    }

    /**
     * Freezes every log's in-memory key table for the key index. Writer thread (or recovery), after a commit.
     * The frozen tables become searchable in the key index before the logs drop them from memory: a lookup
     * (memory first, then the key index) may meet an entry twice during a rotation, never miss it.
     */
    private void rotateKeys() {
        Map<Long, KeyIndex.Frozen> run = new HashMap<>();
        Map<LogIndex, KeyIndex.Frozen> frozenBy = new HashMap<>();
        for (LogIndex index : logs.values()) {
            KeyIndex.Frozen frozen = index.frozenKeys();
            if (frozen != null) {
                run.put(frozen.logId(), frozen);
                frozenBy.put(index, frozen);
            }
        }
        if (keyIndex.rotate(run)) {
            frozenBy.forEach(LogIndex::releaseKeys);
        }
    }

    @Override
    public String backend() {
        return storage.name();
    }

    // ---- writes ----

    @Override
    public Future<AppendResult> append(String log, AppendBatch batch) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(batch, "batch");
        long bytes = 0;
        for (var r : batch.records()) {
            bytes += r.data().length + r.partitionKey().length() + 64;
        }
        return submit(bytes, new AppendOp(log, batch, this::logForWriteBlocking, this::ancestorsOf, recent));
    }

    @Override
    public Future<Long> trim(String log, long beforePosition) {
        Objects.requireNonNull(log, "log");
        return submit(64, group -> {
            LogIndex index = logs.get(log);
            if (index == null) {
                return 0L;
            }
            long[] removed = index.trim(beforePosition);
            if (removed.length > 0) {
                index.slot.removeBatchesBlocking(removed);
                index.slot.putTrimSummaryBlocking(BatchCodec.encodeTrimSummary(index.trimSummary()));
            }
            return index.state().firstPosition();
        });
    }

    @Override
    public Future<Void> deleteLog(String log) {
        Objects.requireNonNull(log, "log");
        return submit(64, group -> {
            lineage.remove(log);
            LogIndex index = logs.remove(log);
            if (index != null) {
                keyIndex.dropBlocking(log); // durable now, so a log re-created under this name starts empty
                storage.detachLogBlocking(log, index.slot);
            }
            return index != null;
        }).map(detached -> {
            if (detached) {
                purgeDetachedLogs();
            }
            return null;
        });
    }

    @Override
    public Future<Void> put(String namespace, String key, byte[] value) {
        MetadataKey k = new MetadataKey(namespace, key);
        byte[] copy = Objects.requireNonNull(value, "value").clone();
        return submit(copy.length + 64, group -> {
            storage.putMetadataBlocking(k, copy);
            group.afterCommit(() -> metadata.put(k, copy));
            return null;
        });
    }

    @Override
    public Future<Void> remove(String namespace, String key) {
        MetadataKey k = new MetadataKey(namespace, key);
        return submit(64, group -> {
            storage.removeMetadataBlocking(k);
            group.afterCommit(() -> metadata.remove(k));
            return null;
        });
    }

    @Override
    public Future<Void> close() {
        closed = true;
        // The keys in memory go to the key index once everything queued is committed, so a reopen reads none of
        // them back from the key sections.
        writer.submit(0, group -> {
            group.afterCommit(this::rotateKeys);
            return null;
        });
        return writer.close().compose(v -> vertx.executeBlocking(() -> {
            keyIndex.closeBlocking();
            return null;
        }, false));
    }

    @Override
    public void onCommit(IntConsumer observer) {
        writer.onCommit(observer);
    }

    @Override
    public void observeWrites(WriteObserver observer) {
        writer.observe(observer);
    }

    private <T> Future<T> submit(long bytes, GroupCommitWriter.WriteOp<T> op) {
        if (closed) {
            return Future.failedFuture(GroupCommitWriter.closedException());
        }
        return writer.submit(bytes, op);
    }

    /** The log's index for the writer, registering a new log in storage on first use. Writer thread only. */
    @Override
    public void declareLineage(String log, List<String> ancestors) {
        Objects.requireNonNull(log, "log");
        if (ancestors.isEmpty()) {
            lineage.remove(log);
        } else {
            lineage.put(log, List.copyOf(ancestors));
        }
    }

    /** The stored logs that {@code log} continues (an ancestor that never took a record has nothing to add). */
    private List<LogIndex> ancestorsOf(String log) {
        List<String> names = lineage.get(log);
        if (names == null) {
            return List.of();
        }
        List<LogIndex> out = new ArrayList<>(names.size());
        for (String name : names) {
            LogIndex ancestor = logs.get(name);
            if (ancestor != null) {
                out.add(ancestor);
            }
        }
        return out;
    }

    private LogIndex logForWriteBlocking(String log) {
        LogIndex index = logs.get(log);
        if (index == null) {
            index = new LogIndex(log, storage.createLogBlocking(log), keyIndex, keyIndex.attach(log).id());
            logs.put(log, index);
        }
        return index;
    }

    // ---- reads answered from memory ----

    @Override
    public Future<LogState> state(String log) {
        return fromMemory(() -> {
            LogIndex index = logs.get(log);
            return index == null ? LogState.EMPTY : index.state();
        });
    }

    @Override
    public Future<Long> seek(String log, long timestampMillis) {
        return fromMemory(() -> {
            LogIndex index = logs.get(log);
            return index == null ? 0L : index.seek(timestampMillis);
        });
    }

    @Override
    public Future<Long> currentVersion(String log, String key) {
        LogIndex index = logs.get(log);
        if (index == null) {
            return fromMemory(() -> -1L);
        }
        Long inMemory = index.currentVersionInMemory(key);
        if (inMemory != null) {
            return fromMemory(() -> inMemory);
        }
        return onWorker(() -> index.currentVersion(key)); // the key index's files may be read
    }

    @Override
    public Future<byte[]> get(String namespace, String key) {
        return fromMemory(() -> {
            byte[] value = metadata.get(new MetadataKey(namespace, key));
            return value == null ? null : value.clone();
        });
    }

    @Override
    public Future<Map<String, byte[]>> list(String namespace) {
        return fromMemory(() -> {
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (var e : metadata.tailMap(MetadataKey.lowest(namespace)).entrySet()) {
                if (!e.getKey().namespace().equals(namespace)) {
                    break;
                }
                out.put(e.getKey().key(), e.getValue().clone());
            }
            return Collections.unmodifiableMap(out);
        });
    }

    @Override
    public Future<Long> storedBytes(String log) {
        return fromMemory(() -> {
            LogIndex index = logs.get(log);
            return index == null ? 0L : index.storedBytes();
        });
    }

    // ---- reads that load batches ----

    @Override
    public Future<ReadResult> read(String log, long fromPosition, int maxRecords, long maxBytes) {
        if (maxRecords < 1) {
            return Future.failedFuture(new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords));
        }
        LogIndex index = logs.get(log);
        if (index == null) {
            return fromMemory(() -> new ReadResult(List.of(), Math.max(0, fromPosition), LogState.EMPTY));
        }
        LogIndex.ReadPlan plan = index.readPlan(fromPosition, maxRecords);
        if (plan.batchFirsts().length <= INLINE_READ_BATCHES) {
            // A read at the head of the log (the common case for live readers): when every batch it needs
            // is in memory, answer on the caller's thread instead of hopping to a worker and back.
            byte[][] blobs = new byte[plan.batchFirsts().length][];
            boolean inMemory = true;
            for (int i = 0; i < blobs.length && inMemory; i++) {
                blobs[i] = storage.readsFromMemory() ? index.slot.batchBlocking(plan.batchFirsts()[i])
                        : recent.get(index, plan.batchFirsts()[i]);
                inMemory = blobs[i] != null || storage.readsFromMemory();
            }
            if (inMemory) {
                return fromMemory(() -> readPlanned(plan, maxRecords, maxBytes, i -> blobs[i]));
            }
        }
        return onWorker(() -> readPlanned(plan, maxRecords, maxBytes, i -> {
            byte[] blob = recent.get(index, plan.batchFirsts()[i]);
            return blob != null ? blob : index.slot.batchBlocking(plan.batchFirsts()[i]);
        }));
    }

    /** Decodes the planned batches ({@code blob(i)}: the i-th, or {@code null} if trimmed since the plan). */
    private static ReadResult readPlanned(LogIndex.ReadPlan plan, int maxRecords, long maxBytes,
                                          IntFunction<byte[]> blob) {
        List<StoredRecord> out = new ArrayList<>(Math.min(maxRecords, 64));
        long[] bytes = {0};
        boolean[] full = {false};
        for (int i = 0; i < plan.batchFirsts().length; i++) {
            if (full[0]) {
                break;
            }
            byte[] batch = blob.apply(i);
            if (batch == null) {
                continue; // trimmed or deleted since the plan was made
            }
            BatchCodec.decode(batch, p -> p >= plan.begin() && p < plan.committedNext(), record -> {
                if (out.size() >= maxRecords || (!out.isEmpty() && bytes[0] + record.size() > maxBytes)) {
                    full[0] = true; // stop here: skipping this record to take a later one would leave a gap
                    return false;
                }
                out.add(record);
                bytes[0] += record.size();
                return true;
            });
        }
        long next = out.isEmpty() ? plan.begin() : out.get(out.size() - 1).position() + 1;
        return new ReadResult(Collections.unmodifiableList(out), next, plan.state());
    }

    @Override
    public Future<List<StoredRecord>> readKey(String log, String key, long fromVersion, int maxRecords) {
        if (maxRecords < 1) {
            return Future.failedFuture(new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords));
        }
        return onWorker(() -> readKeyBlocking(log, key, fromVersion, maxRecords));
    }

    private List<StoredRecord> readKeyBlocking(String log, String key, long fromVersion, int maxRecords) {
        LogIndex index = logs.get(log);
        if (index == null) {
            return List.of();
        }
        LogIndex.KeyPlan plan = index.keyPlan(key, fromVersion, maxRecords);
        long[] positions = plan.positions();
        Map<Long, StoredRecord> found = new HashMap<>(positions.length * 2);
        int i = 0;
        while (i < positions.length) {
            long batchFirst = plan.batchFirsts()[i];
            int j = i;
            while (j < positions.length && plan.batchFirsts()[j] == batchFirst) {
                j++;
            }
            long[] wanted = Arrays.copyOfRange(positions, i, j);
            byte[] blob = index.slot.batchBlocking(batchFirst);
            if (blob != null) {
                BatchCodec.decode(blob, p -> Arrays.binarySearch(wanted, p) >= 0, r -> {
                    found.put(r.position(), r);
                    return true;
                });
            }
            i = j;
        }
        List<StoredRecord> out = new ArrayList<>(positions.length);
        for (long p : positions) {
            StoredRecord r = found.get(p);
            if (r == null) {
                break; // trimmed since the plan was made: the history from here on is no longer contiguous
            }
            out.add(r);
        }
        return Collections.unmodifiableList(out);
    }

    /** Why calls cannot be served (closed or fenced), or null. */
    private StorageUnavailableException unavailable() {
        if (closed) {
            return GroupCommitWriter.closedException();
        }
        return writer.fence();
    }

    private <T> Future<T> fromMemory(Callable<T> answer) {
        StorageUnavailableException unavailable = unavailable();
        if (unavailable != null) {
            return Future.failedFuture(unavailable);
        }
        try {
            return Future.succeededFuture(answer.call());
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    private <T> Future<T> onWorker(Callable<T> blocking) {
        StorageUnavailableException unavailable = unavailable();
        if (unavailable != null) {
            return Future.failedFuture(unavailable);
        }
        return vertx.executeBlocking(() -> {
            try {
                return blocking.call();
            } catch (RuntimeException | Error e) {
                // The backend was closed under the read (e.g. MapDB throws once closed): report it as such.
                if (closed) {
                    throw new StorageUnavailableException("the event store was closed during the read", e);
                }
                throw e;
            }
        }, false);
    }
}
