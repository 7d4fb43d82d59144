package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.StorageUnavailableException;
import dev.eddy.eventstore.impl.BatchStorage;
import dev.eddy.eventstore.impl.MetadataKey;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * MapDB behind Eddy's own {@link RedoLog}: a commit is one redo-log append and one {@code fdatasync}; a checkpointer
 * thread applies the committed writes to MapDB and commits them there in larger, less frequent MapDB commits, each
 * recording the last redo entry it covers. Until then readers get the batches from memory. At open, the redo entries
 * past MapDB's last checkpoint are replayed into it (and committed) before anything else. Thread-safe: writes and
 * {@link #commitBlocking()} come from the engine's writer thread, batch reads from any thread, and MapDB is written by
 * the checkpointer thread only (and by the opening thread before it starts).
 *
 * <p>Why: a MapDB commit (transactions on, with the {@link CommitJournalVolume}) costs three fsyncs plus creating,
 * truncating and deleting its log file, ~1.3 ms here; one append and {@code fdatasync} to a preallocated file ~0.15 ms.
 */
final class RedoLoggedStorage implements BatchStorage {

    /** Where MapDB records the last redo entry it holds; hidden from the engine's metadata. */
    static final MetadataKey CHECKPOINT = new MetadataKey("\u0001eddy.redo", "checkpoint");

    /** Batches of deleted logs removed per checkpointer step. */
    private static final int PURGE_STEP = 64;

    /**
     * When the checkpointer commits to MapDB and how far the writer may run ahead of it.
     *
     * @param intervalNanos  commit at most this long after the first write not yet in MapDB was applied
     * @param bytes          or once this many bytes of redo entries are applied
     * @param maxQueuedBytes the writer waits while this many bytes of redo entries are not yet in MapDB
     * @param segmentBytes   a redo file is reused once it holds this much and the other one is checkpointed
     */
    record Policy(long intervalNanos, long bytes, long maxQueuedBytes, long segmentBytes) {
        static final Policy DEFAULT = new Policy(TimeUnit.SECONDS.toNanos(1), 8L << 20, 64L << 20, 16L << 20);
        /** Tests: nothing reaches MapDB before the store closes (so a crash before then must be replayed). */
        static final Policy ONLY_AT_CLOSE = new Policy(Long.MAX_VALUE / 2, Long.MAX_VALUE, Long.MAX_VALUE, 16L << 20);
    }

    /** A log: its batches not yet in MapDB in memory, the rest in MapDB once the checkpointer has created it. */
    private final class Slot implements LogSlot {
        final String log;
        volatile LogSlot stored;
        final ConcurrentHashMap<Long, byte[]> pending = new ConcurrentHashMap<>();

        Slot(String log, LogSlot stored) {
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
            byte[] batch = pending.get(firstPosition);
            if (batch != null) {
                return batch;
            }
            // The checkpointer removes a batch from memory only after MapDB has committed it.
            LogSlot s = stored;
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

    private record Step(RedoOp op, Slot slot) {
    }

    /** One acknowledged commit on its way into MapDB. */
    private record Entry(long seq, List<Step> steps, long bytes) {
    }

    private static final Entry CLOSE = new Entry(-1, List.of(), 0);
    private static final Entry PURGE = new Entry(-2, List.of(), 0);

    private final MapDbBatchStorage store;
    private final RedoLog redo;
    private final Policy policy;
    private final List<Step> staged = new ArrayList<>(); // writer thread only
    private long lastSeq; // writer thread only
    /** Where entries are encoded: direct, so the write needs no temporary copy, and reused. Writer thread only. */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(64 << 10);
    private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private long queuedBytes; // guarded by lock
    private volatile long checkpointed;
    private volatile Throwable failure;
    private final Thread checkpointer;

    private RedoLoggedStorage(MapDbBatchStorage store, RedoLog redo, Policy policy, long checkpointed) {
        this.store = store;
        this.redo = redo;
        this.policy = policy;
        this.lastSeq = checkpointed;
        this.checkpointed = checkpointed;
        this.checkpointer = new Thread(this::checkpointLoop, "eddy-store-checkpointer-mapdb");
        checkpointer.setDaemon(true);
        checkpointer.start();
    }

    /**
     * Replays the redo entries that MapDB lacks into it and commits them, then appends from the start of the redo
     * log again (everything in it is checkpointed by then) and starts the checkpointer.
     */
    static RedoLoggedStorage openBlocking(MapDbBatchStorage store, Policy policy) {
        long checkpoint = replayBlocking(store);
        RedoLog redo = RedoLog.openBlocking(RedoLog.pathsOf(store.file()), policy.segmentBytes());
        return new RedoLoggedStorage(store, redo, policy, checkpoint);
    }

    /**
     * Replays the redo entries that MapDB lacks into it and commits them (also when the store is opened without the
     * redo log, so that nothing acknowledged is left behind). Returns the last entry MapDB now holds. Fails with
     * {@link StorageUnavailableException} if an entry that MapDB lacks is missing or malformed.
     */
    static long replayBlocking(MapDbBatchStorage store) {
        Path[] paths = RedoLog.pathsOf(store.file());
        long checkpoint = checkpointOf(store);
        TreeMap<Long, RedoLog.Entry> missing = new TreeMap<>();
        for (RedoLog.Entry e : RedoLog.readBlocking(paths)) {
            if (e.seq() > checkpoint) {
                missing.put(e.seq(), e);
            }
        }
        if (missing.isEmpty()) {
            return checkpoint;
        }
        Map<String, LogSlot> attached = new HashMap<>();
        attached.putAll(store.slotsBlocking());
        long expected = checkpoint + 1;
        for (RedoLog.Entry e : missing.values()) {
            if (e.seq() != expected) {
                throw new StorageUnavailableException("cannot recover " + store.file() + ": its redo log "
                        + paths[0] + " lacks entry " + expected + " (MapDB holds up to " + checkpoint
                        + ", the log resumes at " + e.seq() + ")");
            }
            List<RedoOp> ops;
            try {
                ops = RedoOp.decodeAll(e.payload());
            } catch (IllegalArgumentException bad) {
                throw new StorageUnavailableException("cannot recover " + store.file() + ": redo entry "
                        + e.seq() + " is malformed: " + bad.getMessage(), bad);
            }
            for (RedoOp op : ops) {
                replayBlocking(store, attached, op);
            }
            expected++;
        }
        store.putMetadataBlocking(CHECKPOINT, encodeSeq(missing.lastKey()));
        store.commitBlocking();
        return missing.lastKey();
    }

    private static long checkpointOf(MapDbBatchStorage store) {
        byte[] value = store.metadataBlocking(CHECKPOINT);
        return value == null ? 0 : ByteBuffer.wrap(value).getLong();
    }

    private static byte[] encodeSeq(long seq) {
        return ByteBuffer.allocate(8).putLong(seq).array();
    }

    private static void replayBlocking(MapDbBatchStorage store, Map<String, LogSlot> attached, RedoOp op) {
        if (op instanceof RedoOp.Create c) {
            attached.put(c.log(), store.createLogBlocking(c.log()));
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

    private static LogSlot attachedSlot(LogSlot slot, String log) {
        if (slot == null) {
            throw new StorageUnavailableException("cannot recover: the redo log writes to log '" + log
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
        staged.add(new Step(op, slot));
    }

    @Override
    public void recoverLogsBlocking(RecoveredLogConsumer consumer) {
        store.recoverLogsBlocking((log, slot, trim, batches, sections) ->
                consumer.accept(log, new Slot(log, slot), trim, batches, sections));
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
    public java.nio.file.Path keyIndexDirectory() {
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

    /** Appends the staged writes to the redo log as one entry, forces it, and queues it for the checkpointer. */
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
        redo.appendBlocking(seq, payload, checkpointed);
        lastSeq = seq;
        Entry entry = new Entry(seq, List.copyOf(staged), payload.remaining());
        staged.clear();
        synchronized (lock) {
            queuedBytes += entry.bytes();
        }
        queue.add(entry);
    }

    /** Lets the checkpointer put everything acknowledged into MapDB, then closes the files. */
    @Override
    public void closeBlocking() {
        queue.add(CLOSE);
        try {
            checkpointer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            redo.close();
            store.closeBlocking();
        }
        Throwable f = failure;
        if (f != null) {
            throw new StorageUnavailableException("checkpointing into " + store.file() + " failed: " + f, f);
        }
    }

    // ---- checkpointer thread ----

    private void checkpointLoop() {
        List<Entry> applied = new ArrayList<>();
        long appliedBytes = 0;
        long firstAppliedAt = 0;
        boolean purging = false;
        boolean closing = false;
        try {
            while (!closing || !applied.isEmpty()) {
                Entry e;
                if (closing) {
                    e = queue.poll();
                } else if (applied.isEmpty()) {
                    e = purging ? queue.poll() : queue.take();
                } else {
                    long wait = firstAppliedAt + policy.intervalNanos() - System.nanoTime();
                    e = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
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
                    if (!applied.isEmpty()) {
                        store.putMetadataBlocking(CHECKPOINT, encodeSeq(applied.get(applied.size() - 1).seq()));
                    }
                    store.commitBlocking();
                    release(applied);
                    applied.clear();
                    appliedBytes = 0;
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

    /** Applies one write to MapDB (uncommitted); returns whether it left a deleted log to purge. */
    private boolean applyBlocking(Step s) {
        RedoOp op = s.op();
        if (op instanceof RedoOp.Create c) {
            s.slot().stored = store.createLogBlocking(c.log());
        } else if (op instanceof RedoOp.Detach d) {
            store.detachLogBlocking(d.log(), s.slot().stored);
            return true;
        } else if (op instanceof RedoOp.PutBatch p) {
            s.slot().stored.putBatchBlocking(p.first(), p.batch(), p.keySection());
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

    /** After a MapDB commit: what it holds is read from MapDB from now on. */
    private void release(List<Entry> committed) {
        long bytes = 0;
        for (Entry e : committed) {
            for (Step s : e.steps()) {
                if (s.op() instanceof RedoOp.PutBatch p) {
                    s.slot().pending.remove(p.first(), p.batch());
                }
            }
            bytes += e.bytes();
        }
        if (!committed.isEmpty()) {
            checkpointed = committed.get(committed.size() - 1).seq();
        }
        synchronized (lock) {
            queuedBytes -= bytes;
            lock.notifyAll();
        }
    }

    @Override
    public String toString() {
        return "RedoLoggedStorage[" + store + "]";
    }
}
