package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.impl.MetadataKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * MapDB behind Eddy's own {@link SegmentLog}: a commit is one log append and one {@code fdatasync}, and the batches
 * stay where that append put them. A checkpointer thread records in MapDB where each batch lies (and applies the
 * other writes: logs, trims, metadata), committing MapDB in larger, less frequent commits that each record the last
 * log entry they cover, and deletes the log segments left without live batches. Until a batch's location is in
 * MapDB, readers find it through memory. At open, the log entries past MapDB's last checkpoint are replayed into it
 * (and committed) before anything else. Thread-safe: writes and {@link #commitBlocking()} come from the engine's
 * writer thread, batch reads from any thread, and MapDB is written by the checkpointer thread only (and by the
 * opening thread before it starts).
 *
 * <p>Why: a MapDB commit (transactions on, with the {@link CommitJournalVolume}) costs three fsyncs plus creating,
 * truncating and deleting its log file, ~1.3 ms here; one append and {@code fdatasync} to a preallocated file
 * ~0.15 ms. And batch data written once to the log is not copied again into MapDB's write-ahead log and file (which
 * took a quarter of the server's CPU in bulk writes).
 */
final class LoggedBatchStorage implements BatchStorage {

    /** Where MapDB records the last log entry it holds: {seq, segment, end offset}; hidden from the engine. */
    static final MetadataKey CHECKPOINT = new MetadataKey("\u0001eddy.redo", "checkpoint");

    /**
     * Batches of deleted logs whose places are removed per checkpoint (a step commits at most once per checkpoint
     * interval, so a purge never floods the disk with MapDB commits while appends wait for their syncs).
     */
    private static final int PURGE_STEP = 1024;

    /**
     * When the checkpointer commits to MapDB and how far the writer may run ahead of it.
     *
     * @param intervalNanos  commit at most this long after the first write not yet in MapDB was applied
     * @param bytes          or once this many bytes of log entries are applied
     * @param maxQueuedBytes the writer waits while this many bytes of log entries are not yet in MapDB (what a
     *                       reopen after a crash replays)
     * @param segmentBytes   the size of a log segment
     */
    record Policy(long intervalNanos, long bytes, long maxQueuedBytes, long segmentBytes) {
        static final Policy DEFAULT = new Policy(TimeUnit.SECONDS.toNanos(1), 64L << 20, 256L << 20, 64L << 20);
        /** Tests: nothing reaches MapDB before the store closes (so a crash before then must be replayed). */
        static final Policy ONLY_AT_CLOSE = new Policy(Long.MAX_VALUE / 2, Long.MAX_VALUE, Long.MAX_VALUE, 16L << 20);
    }

    /**
     * A log: where its batches not yet in MapDB are (their bytes until their commit is written, then their
     * {@link Location}), the rest in MapDB once the checkpointer has created it.
     */
    private final class Slot implements LogSlot {
        final String log;
        volatile MapDbBatchStorage.Slot stored;
        final ConcurrentHashMap<Long, Object> pending = new ConcurrentHashMap<>();

        Slot(String log, MapDbBatchStorage.Slot stored) {
            this.log = log;
            this.stored = stored;
        }

        @Override
        public void putBatchBlocking(long firstPosition, byte[] batch, byte[] keySection) {
            pending.put(firstPosition, batch);
            stage(new RedoOp.PutBatch(log, firstPosition, batch, keySection), this);
        }

        @Override
        public byte[] batchBlocking(long firstPosition) {
            Object p = pending.get(firstPosition);
            if (p instanceof byte[] batch) {
                return batch;
            }
            if (p instanceof long[] location) {
                return Location.readBatchBlocking(segments, location);
            }
            // The checkpointer forgets a location only after MapDB has committed it.
            MapDbBatchStorage.Slot s = stored;
            return s == null ? null : s.batchBlocking(firstPosition);
        }

        @Override
        public void removeBatchesBlocking(long[] firstPositions) {
            for (long first : firstPositions) {
                pending.remove(first);
            }
            stage(new RedoOp.RemoveBatches(log, firstPositions.clone()), this);
        }

        @Override
        public void putTrimSummaryBlocking(byte[] summary) {
            stage(new RedoOp.PutTrimSummary(log, summary), this);
        }
    }

    /** A batch as the checkpointer records it: where it lies, with its meta; no data. */
    private record Located(long first, long[] location) {
    }

    /** One write on its way into MapDB: {@code op}, or for a batch {@code batch}. */
    private record Step(RedoOp op, Located batch, Slot slot) {
    }

    /** One acknowledged commit on its way into MapDB, and where its log entry ends. */
    private record Entry(long seq, List<Step> steps, long bytes, long segment, long end) {
    }

    private static final Entry CLOSE = new Entry(-1, List.of(), 0, 0, 0);
    private static final Entry PURGE = new Entry(-2, List.of(), 0, 0, 0);

    private final MapDbBatchStorage store;
    private final SegmentLog segments;
    private final Policy policy;
    private final List<Step> staged = new ArrayList<>(); // writer thread only
    private long lastSeq; // writer thread only
    /** Where entries are encoded: direct, so the write needs no temporary copy, and reused. Writer thread only. */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(64 << 10);
    private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private long queuedBytes; // guarded by lock
    private volatile Throwable failure;
    private final Thread checkpointer;

    private LoggedBatchStorage(MapDbBatchStorage store, SegmentLog segments, Policy policy, long lastSeq) {
        this.store = store;
        this.segments = segments;
        this.policy = policy;
        this.lastSeq = lastSeq;
        this.checkpointer = new Thread(this::checkpointLoop, "eddy-store-checkpointer-mapdb");
        checkpointer.setDaemon(true);
        checkpointer.start();
    }

    /**
     * Replays the log entries that MapDB lacks into it and commits them, then starts appending in a new segment and
     * starts the checkpointer.
     */
    static LoggedBatchStorage openBlocking(MapDbBatchStorage store, Policy policy) {
        long[] checkpoint = replayBlocking(store, policy.segmentBytes());
        SegmentLog log = store.segments();
        try {
            log.startAppendingBlocking(checkpoint[1]);
        } catch (IllegalStateException | UncheckedIOException e) {
            throw new StorageUnavailableException("cannot open " + store.file() + ": " + e.getMessage(), e);
        }
        return new LoggedBatchStorage(store, log, policy, checkpoint[0]);
    }

    /**
     * Opens the store's log segments for reading, replays what MapDB lacks of them (and of a redo log left by an
     * older version) into it and commits; also when the store is opened without the log, so that nothing acknowledged
     * is left behind. Returns MapDB's checkpoint now: {seq, segment, end offset}. Fails with
     * {@link StorageUnavailableException} if an entry that MapDB lacks is malformed.
     */
    static long[] replayBlocking(MapDbBatchStorage store, long segmentBytes) {
        replayRedoLogBlocking(store);
        SegmentLog log = SegmentLog.openBlocking(store.file().resolveSibling(SegmentLog.DIRECTORY), segmentBytes);
        store.attachSegments(log);
        long[] checkpoint = checkpointOf(store);
        Map<String, MapDbBatchStorage.Slot> attached = new HashMap<>(store.slotsBlocking());
        long[] last = checkpoint.clone();
        try {
            log.scanBlocking(checkpoint[1], checkpoint[2], checkpoint[0] + 1, (seq, segment, payloadAt, end, payload) -> {
                List<RedoOp> ops = decode(store, seq, payload);
                int offset = 4;
                for (RedoOp op : ops) {
                    if (op instanceof RedoOp.PutBatch p) {
                        attachedSlot(attached.get(p.log()), p.log()).putLocatedBatchBlocking(p.first(),
                                locationOf(p, segment, payloadAt + offset));
                    } else {
                        replayBlocking(store, attached, op);
                    }
                    offset += op.size();
                }
                last[0] = seq;
                last[1] = segment;
                last[2] = end;
            });
        } catch (UncheckedIOException e) {
            throw new StorageUnavailableException("cannot recover " + store.file() + ": " + e.getMessage(), e);
        }
        if (last[0] != checkpoint[0]) {
            store.putMetadataBlocking(CHECKPOINT, encodeCheckpoint(last));
            store.commitBlocking();
        }
        TreeSet<Long> onDisk = log.segments();
        for (long segment : store.usedSegments()) {
            if (!onDisk.contains(segment)) {
                throw new StorageUnavailableException("cannot recover " + store.file() + ": the log segment "
                        + log.pathOf(segment) + ", which holds stored batches, is missing");
            }
        }
        return last;
    }

    /**
     * A store last written by a version with the two-file redo log ({@code eddy.db.redo.0/1}): the entries MapDB
     * lacks are copied into it (as batches held by MapDB itself) and committed, and the files removed.
     */
    private static void replayRedoLogBlocking(MapDbBatchStorage store) {
        Path[] paths = RedoLog.pathsOf(store.file());
        if (!Files.exists(paths[0]) && !Files.exists(paths[1])) {
            return;
        }
        long checkpoint = checkpointOf(store)[0];
        TreeMap<Long, RedoLog.Entry> missing = new TreeMap<>();
        for (RedoLog.Entry e : RedoLog.readBlocking(paths)) {
            if (e.seq() > checkpoint) {
                missing.put(e.seq(), e);
            }
        }
        if (!missing.isEmpty()) {
            Map<String, MapDbBatchStorage.Slot> attached = new HashMap<>(store.slotsBlocking());
            long expected = checkpoint + 1;
            for (RedoLog.Entry e : missing.values()) {
                if (e.seq() != expected) {
                    throw new StorageUnavailableException("cannot recover " + store.file() + ": its redo log "
                            + paths[0] + " lacks entry " + expected + " (MapDB holds up to " + checkpoint
                            + ", the log resumes at " + e.seq() + ")");
                }
                for (RedoOp op : decode(store, e.seq(), e.payload())) {
                    replayBlocking(store, attached, op);
                }
                expected++;
            }
            store.putMetadataBlocking(CHECKPOINT, encodeCheckpoint(new long[] {missing.lastKey(), 0, 0}));
            store.commitBlocking();
        }
        try {
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new StorageUnavailableException("cannot remove the old redo log " + paths[0] + ": " + e, e);
        }
    }

    private static List<RedoOp> decode(MapDbBatchStorage store, long seq, byte[] payload) {
        try {
            return RedoOp.decodeAll(payload);
        } catch (IllegalArgumentException bad) {
            throw new StorageUnavailableException("cannot recover " + store.file() + ": log entry " + seq
                    + " is malformed: " + bad.getMessage(), bad);
        }
    }

    private static long[] locationOf(RedoOp.PutBatch p, long segment, long opAt) {
        return Location.of(segment, opAt + p.batchOffset(), p.batch().length, opAt + p.keyOffset(),
                p.keySection().length, MapDbBatchStorage.metaOf(p.keySection()));
    }

    /** {seq, segment, end offset}; a store from before the segment log recorded only the seq. */
    private static long[] checkpointOf(MapDbBatchStorage store) {
        byte[] value = store.metadataBlocking(CHECKPOINT);
        if (value == null) {
            return new long[3];
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        return value.length >= 24 ? new long[] {b.getLong(), b.getLong(), b.getLong()} : new long[] {b.getLong(), 0, 0};
    }

    private static byte[] encodeCheckpoint(long[] checkpoint) {
        return ByteBuffer.allocate(24).putLong(checkpoint[0]).putLong(checkpoint[1]).putLong(checkpoint[2]).array();
    }

    private static void replayBlocking(MapDbBatchStorage store, Map<String, MapDbBatchStorage.Slot> attached,
                                       RedoOp op) {
        if (op instanceof RedoOp.Create c) {
            attached.put(c.log(), (MapDbBatchStorage.Slot) store.createLogBlocking(c.log()));
        } else if (op instanceof RedoOp.Detach d) {
            store.detachLogBlocking(d.log(), attachedSlot(attached.remove(d.log()), d.log()));
        } else if (op instanceof RedoOp.PutBatch p) {
            attachedSlot(attached.get(p.log()), p.log()).putBatchBlocking(p.first(), p.batch(), p.keySection());
        } else if (op instanceof RedoOp.RemoveBatches r) {
            attachedSlot(attached.get(r.log()), r.log()).removeBatchesBlocking(r.firsts());
        } else if (op instanceof RedoOp.PutTrimSummary t) {
            attachedSlot(attached.get(t.log()), t.log()).putTrimSummaryBlocking(t.summary());
        } else if (op instanceof RedoOp.PutMetadata m) {
            store.putMetadataBlocking(m.key(), m.value());
        } else if (op instanceof RedoOp.RemoveMetadata m) {
            store.removeMetadataBlocking(m.key());
        }
    }

    private static MapDbBatchStorage.Slot attachedSlot(MapDbBatchStorage.Slot slot, String log) {
        if (slot == null) {
            throw new StorageUnavailableException("cannot recover: the log writes to log '" + log
                    + "', which the store does not hold");
        }
        return slot;
    }

    @Override
    public String name() {
        return store.name();
    }

    // ---- writer thread ----

    private void stage(RedoOp op, Slot slot) {
        staged.add(new Step(op, null, slot));
    }

    @Override
    public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
        store.recoverLogsBlocking((log, slot, trim, batches, sections) ->
                consumer.accept(log, new Slot(log, (MapDbBatchStorage.Slot) slot), trim, batches, sections));
    }

    @Override
    public void recoverMetadataBlocking(BiConsumer<MetadataKey, byte[]> consumer) {
        store.recoverMetadataBlocking((k, v) -> {
            if (!k.equals(CHECKPOINT)) {
                consumer.accept(k, v);
            }
        });
    }

    @Override
    public Path keyIndexDirectory() {
        return store.keyIndexDirectory();
    }

    @Override
    public long keyIndexFlushEntries() {
        return store.keyIndexFlushEntries();
    }

    @Override
    public LogSlot createLogBlocking(String log) {
        Slot slot = new Slot(log, null);
        stage(new RedoOp.Create(log), slot);
        return slot;
    }

    @Override
    public void detachLogBlocking(String log, LogSlot slot) {
        stage(new RedoOp.Detach(log), (Slot) slot);
    }

    /** Deleted logs are purged by the checkpointer between its commits; this only wakes it. */
    @Override
    public boolean purgeBlocking(int maxBatches) {
        queue.add(PURGE);
        return false;
    }

    @Override
    public void putMetadataBlocking(MetadataKey key, byte[] value) {
        stage(new RedoOp.PutMetadata(key, value), null);
    }

    @Override
    public void removeMetadataBlocking(MetadataKey key) {
        stage(new RedoOp.RemoveMetadata(key), null);
    }

    /**
     * Appends the staged writes to the log as one entry, forces it, and queues where the batches lie for the
     * checkpointer.
     */
    @Override
    public void commitBlocking() {
        synchronized (lock) {
            while (failure == null && queuedBytes > policy.maxQueuedBytes()) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StorageUnavailableException("interrupted while waiting for the checkpointer", e);
                }
            }
        }
        Throwable f = failure;
        if (f != null) {
            throw new StorageUnavailableException("checkpointing into " + store.file() + " failed: " + f, f);
        }
        if (staged.isEmpty()) {
            return;
        }
        List<RedoOp> ops = new ArrayList<>(staged.size());
        for (Step s : staged) {
            ops.add(s.op());
        }
        int size = RedoOp.sizeOfAll(ops);
        if (scratch.capacity() < size) {
            scratch = ByteBuffer.allocateDirect(Math.max(size, 2 * scratch.capacity()));
        }
        ByteBuffer payload = RedoOp.encodeAll(ops, scratch.limit(size));
        long seq = lastSeq + 1;
        long payloadAt = segments.appendBlocking(seq, payload);
        long segment = segments.currentSegment();
        lastSeq = seq;
        // What the checkpointer needs: the batches' places, not their bytes (which may be collected now).
        List<Step> steps = new ArrayList<>(staged.size());
        long opAt = payloadAt + 4;
        for (Step s : staged) {
            if (s.op() instanceof RedoOp.PutBatch p) {
                long[] location = locationOf(p, segment, opAt);
                s.slot().pending.replace(p.first(), p.batch(), location);
                steps.add(new Step(null, new Located(p.first(), location), s.slot()));
            } else {
                steps.add(s);
            }
            opAt += s.op().size();
        }
        staged.clear();
        Entry entry = new Entry(seq, steps, size, segment, payloadAt + size + SegmentLog.TRAILER);
        boolean full;
        synchronized (lock) {
            queuedBytes += entry.bytes();
            full = queuedBytes >= policy.bytes();
        }
        queue.add(entry);
        if (full) {
            LockSupport.unpark(checkpointer);
        }
    }

    /** Lets the checkpointer put everything acknowledged into MapDB, then closes the files. */
    @Override
    public void closeBlocking() {
        queue.add(CLOSE);
        LockSupport.unpark(checkpointer);
        try {
            checkpointer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            store.closeBlocking(); // closes the segment log too
        }
        Throwable f = failure;
        if (f != null) {
            throw new StorageUnavailableException("checkpointing into " + store.file() + " failed: " + f, f);
        }
    }

    // ---- checkpointer thread ----

    private void checkpointLoop() {
        long checkpointSegment = segments.currentSegment(); // everything before it is checkpointed at open
        List<Entry> applied = new ArrayList<>();
        long appliedBytes = 0;
        long firstAppliedAt = 0;
        long lastCommitAt = System.nanoTime() - policy.intervalNanos();
        boolean purging = false;
        boolean closing = false;
        try {
            while (!closing || !applied.isEmpty()) {
                Entry e;
                if (closing) {
                    e = queue.poll();
                } else if (applied.isEmpty()) {
                    long wait = lastCommitAt + policy.intervalNanos() - System.nanoTime();
                    e = !purging ? queue.take() : wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                } else {
                    // Within a checkpoint interval nothing wakes this thread per commit (at 1,000 commits/s that
                    // was a thousand context switches a second): it sleeps out the interval and drains what
                    // came, unless the writer wakes it for a full checkpoint or the store closes.
                    e = queue.poll();
                    long wait = firstAppliedAt + policy.intervalNanos() - System.nanoTime();
                    if (e == null && wait > 0) {
                        LockSupport.parkNanos(this, wait);
                        e = queue.poll();
                    }
                }
                if (e == CLOSE) {
                    closing = true;
                } else if (e == PURGE) {
                    purging = true;
                } else if (e != null) {
                    for (Step s : e.steps()) {
                        purging |= applyBlocking(s);
                    }
                    if (applied.isEmpty()) {
                        firstAppliedAt = System.nanoTime();
                    }
                    applied.add(e);
                    appliedBytes += e.bytes();
                }
                boolean due = !applied.isEmpty() && (closing || appliedBytes >= policy.bytes()
                        || System.nanoTime() - firstAppliedAt >= policy.intervalNanos());
                boolean idlePurge = e == null && applied.isEmpty() && purging && !closing;
                if (due || idlePurge) {
                    if (purging && !closing) {
                        purging = store.purgeBlocking(PURGE_STEP);
                    }
                    Entry last = applied.isEmpty() ? null : applied.get(applied.size() - 1);
                    if (last != null) {
                        store.putMetadataBlocking(CHECKPOINT,
                                encodeCheckpoint(new long[] {last.seq(), last.segment(), last.end()}));
                    }
                    store.commitBlocking();
                    lastCommitAt = System.nanoTime();
                    release(applied);
                    applied.clear();
                    appliedBytes = 0;
                    if (last != null) {
                        checkpointSegment = last.segment();
                    }
                    deleteUnusedSegmentsBefore(checkpointSegment);
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /**
     * Deletes the segments before {@code segment} (so every entry in them is checkpointed) in which no live batch
     * lies, as MapDB has just committed.
     */
    private void deleteUnusedSegmentsBefore(long segment) {
        Set<Long> used = store.usedSegments();
        for (long s : segments.segments().headSet(segment, false)) {
            if (!used.contains(s)) {
                segments.deleteBlocking(s);
            }
        }
    }

    /** Applies one write to MapDB (uncommitted); returns whether it left a deleted log to purge. */
    private boolean applyBlocking(Step s) {
        if (s.batch() != null) {
            s.slot().stored.putLocatedBatchBlocking(s.batch().first(), s.batch().location());
            return false;
        }
        RedoOp op = s.op();
        if (op instanceof RedoOp.Create c) {
            s.slot().stored = (MapDbBatchStorage.Slot) store.createLogBlocking(c.log());
        } else if (op instanceof RedoOp.Detach d) {
            store.detachLogBlocking(d.log(), s.slot().stored);
            return true;
        } else if (op instanceof RedoOp.PutBatch) {
            throw new IllegalStateException("a batch reached the checkpointer with its data");
        } else if (op instanceof RedoOp.RemoveBatches r) {
            s.slot().stored.removeBatchesBlocking(r.firsts());
        } else if (op instanceof RedoOp.PutTrimSummary t) {
            s.slot().stored.putTrimSummaryBlocking(t.summary());
        } else if (op instanceof RedoOp.PutMetadata m) {
            store.putMetadataBlocking(m.key(), m.value());
        } else if (op instanceof RedoOp.RemoveMetadata m) {
            store.removeMetadataBlocking(m.key());
        }
        return false;
    }

    /** After a MapDB commit: the batches it holds are found through MapDB from now on. */
    private void release(List<Entry> committed) {
        long bytes = 0;
        for (Entry e : committed) {
            for (Step s : e.steps()) {
                if (s.batch() != null) {
                    s.slot().pending.remove(s.batch().first(), s.batch().location());
                }
            }
            bytes += e.bytes();
        }
        synchronized (lock) {
            queuedBytes -= bytes;
            lock.notifyAll();
        }
    }

    @Override
    public String toString() {
        return "LoggedBatchStorage[" + store + "]";
    }
}
