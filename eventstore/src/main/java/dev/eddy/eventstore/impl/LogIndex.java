package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-memory state of one log: its batch index, bounds, and the newest part of its key index (per-key
 * version histories and event ids since the last rotation; older entries are in the store's {@link KeyIndex}).
 * Thread-safe: every method synchronizes on the instance for a few microseconds and never does I/O while
 * holding the lock, so readers and the writer thread do not wait on each other's storage work; lookups that
 * reach the key index's files happen outside the lock.
 *
 * <p>The writer applies a batch here as soon as it is put into storage ({@link #apply}); readers see only
 * what was {@link #publish() published} after the commit that made it durable ({@code committedNext}).
 */
final class LogIndex {

    final String name;
    final BatchStorage.LogSlot slot;
    private final KeyIndex keyIndex;
    /** This log's id in the key index (set once more by {@link #rekey} during recovery at most). */
    private volatile long keyId;

    private long[] firsts = new long[16];
    private int[] counts = new int[16];
    private long[] arrivals = new long[16];
    private long[] sizes = new long[16];
    private long bytes;
    private long committedBytes;
    private int start;
    private int end;

    private long next;
    private long lastArrival = -1;
    private long committedNext;
    private long committedLastArrival = -1;

    /** The live in-memory key table: keys and event ids applied since the last rotation. */
    private Map<String, KeyHistory> keys = new HashMap<>();
    private Map<String, Long> eventPositions = new HashMap<>();

    LogIndex(String name, BatchStorage.LogSlot slot, KeyIndex keyIndex, long keyId) {
        this.name = name;
        this.slot = slot;
        this.keyIndex = keyIndex;
        this.keyId = keyId;
    }

    /** Recovery only, before any key is applied: the log's entries in the key index are not to be trusted. */
    synchronized void rekey(long newKeyId) {
        keyId = newKeyId;
    }

    /** A log with an in-memory key index of its own (tests). */
    LogIndex(String name, BatchStorage.LogSlot slot) {
        this(name, slot, KeyIndex.inMemory(), 0);
    }

    // ---- writer side (includes applied but not yet committed batches) ----

    synchronized long next() {
        return next;
    }

    synchronized long lastArrival() {
        return lastArrival;
    }

    /** The key's version including applied, uncommitted appends (writer side; may read the key index's files). */
    long pendingVersion(String key) {
        synchronized (this) {
            KeyHistory h = keys.get(key);
            if (h != null) {
                return h.nextVersion() - 1;
            }
        }
        long v = keyIndex.latestVersion(keyId, key);
        return v < 0 ? ExpectedVersion.NO_VERSION : v;
    }

    /** The position of the retained record stored with that event id, or -1 (may read the key index's files). */
    long eventPosition(String eventId) {
        long horizon;
        synchronized (this) {
            Long p = eventPositions.get(eventId);
            if (p != null) {
                return p;
            }
            horizon = horizon();
        }
        long p = keyIndex.eventPosition(keyId, eventId);
        return p >= horizon ? p : -1;
    }

    /** The original result of an append whose records' event ids are all stored (writer side). */
    AppendResult duplicateResult(List<NewRecord> records) {
        long[] positions = new long[records.size()];
        long[] versions = new long[records.size()];
        for (int i = 0; i < positions.length; i++) {
            NewRecord r = records.get(i);
            positions[i] = eventPosition(r.eventId());
            versions[i] = versionAt(r.partitionKey(), positions[i]);
        }
        synchronized (this) {
            int b = batchIndexOf(positions[0]);
            return new AppendResult(positions, versions, b < 0 ? -1 : arrivals[b], true);
        }
    }

    private long versionAt(String key, long position) {
        synchronized (this) {
            KeyHistory h = keys.get(key);
            long v = h == null ? -1 : h.versionAt(position);
            if (v >= 0) {
                return v;
            }
        }
        return keyIndex.versionAt(keyId, key, position);
    }

    /** Adds a stored batch; {@code versions} must continue each key's history. */
    synchronized void apply(long first, long arrival, String[] recordKeys, long[] versions, String[] eventIds,
                            long dataBytes) {
        applyBatch(first, recordKeys.length, arrival, dataBytes);
        applyKeys(first, recordKeys, versions, eventIds);
    }

    /** Adds a stored batch to the batch index and bounds (its keys are indexed already, or follow). */
    synchronized void applyBatch(long first, int count, long arrival, long dataBytes) {
        if (first != next && end > start) {
            throw new IllegalStateException("log '" + name + "': batch at " + first + " does not follow " + next);
        }
        if (end == firsts.length) {
            growBatchIndex();
        }
        firsts[end] = first;
        counts[end] = count;
        arrivals[end] = arrival;
        sizes[end] = dataBytes;
        bytes += dataBytes;
        end++;
        next = first + count;
        lastArrival = Math.max(lastArrival, arrival);
    }

    /**
     * Adds a batch's keys and event ids to the in-memory key table. Within the table a key's versions must
     * continue; the first version of a key in a fresh table continues the key index below (the writer asks
     * {@link #pendingVersion}; recovery trusts what was stored).
     */
    synchronized void applyKeys(long first, String[] recordKeys, long[] versions, String[] eventIds) {
        for (int i = 0; i < recordKeys.length; i++) {
            long position = first + i;
            long version = versions[i];
            KeyHistory h = keys.computeIfAbsent(recordKeys[i], k -> new KeyHistory(version));
            if (h.nextVersion() != version) {
                throw new IllegalStateException("log '" + name + "': key '" + recordKeys[i] + "' at position "
                        + position + " has version " + version + ", expected " + h.nextVersion());
            }
            h.add(position);
            if (eventIds[i] != null) {
                eventPositions.put(eventIds[i], position);
            }
        }
        keyIndex.added(recordKeys.length);
    }

    /**
     * The in-memory key table as a frozen table for the key index to write; null when it is empty. It stays
     * this log's in-memory table (and unchanged) until {@link #releaseKeys}: readers look in memory first, then
     * below, so the key index must search it before memory lets it go. Writer thread, right after a commit (so
     * everything frozen is durable).
     */
    synchronized KeyIndex.Frozen frozenKeys() {
        if (keys.isEmpty() && eventPositions.isEmpty()) {
            return null;
        }
        return new KeyIndex.Frozen(name, keyId, keys, eventPositions, next, horizon());
    }

    /** Starts an empty in-memory key table, once the key index searches {@code frozen}. Writer thread. */
    synchronized void releaseKeys(KeyIndex.Frozen frozen) {
        if (keys == frozen.keys()) {
            keys = new HashMap<>();
            eventPositions = new HashMap<>();
        }
    }

    /** Makes everything applied so far visible to readers (called once it is durable). */
    synchronized void publish() {
        committedNext = next;
        committedLastArrival = lastArrival;
        committedBytes = bytes;
    }

    /**
     * Drops whole committed batches that end at or below {@code before}; returns their first positions.
     * Fully trimmed keys keep their versions; their event ids are forgotten.
     */
    synchronized long[] trim(long before) {
        long limit = Math.min(before, committedNext);
        int i = start;
        while (i < end && firsts[i] + counts[i] <= limit) {
            i++;
        }
        if (i == start) {
            return new long[0];
        }
        long[] removed = Arrays.copyOfRange(firsts, start, i);
        for (int b = start; b < i; b++) {
            bytes -= sizes[b];
            committedBytes -= sizes[b];
        }
        start = i;
        long horizon = horizon();
        for (KeyHistory h : keys.values()) {
            h.trimBelow(horizon);
        }
        eventPositions.values().removeIf(p -> p < horizon);
        return removed;
    }

    /**
     * What a reopen needs beyond the remaining batches: bounds and the keys of the in-memory key table left
     * without records (keys below it keep their versions in the key index).
     */
    synchronized BatchCodec.TrimSummary trimSummary() {
        Map<String, Long> empty = new HashMap<>();
        keys.forEach((key, h) -> {
            if (h.isEmpty()) {
                empty.put(key, h.nextVersion() - 1);
            }
        });
        return new BatchCodec.TrimSummary(next, lastArrival, empty);
    }

    /** Applies a trim summary's bounds found at open, after the remaining batches. */
    synchronized void restoreBounds(BatchCodec.TrimSummary summary) {
        next = Math.max(next, summary.nextPosition());
        lastArrival = Math.max(lastArrival, summary.lastArrivalMillis());
    }

    /** Applies a trim summary's trimmed keys found at open, after the key sections; versions only ever grow. */
    void restoreKeys(BatchCodec.TrimSummary summary) {
        summary.keyVersions().forEach((key, last) -> {
            if (pendingVersion(key) < last) {
                synchronized (this) {
                    keys.put(key, new KeyHistory(last + 1));
                }
            }
        });
    }

    // ---- reader side (committed only) ----

    /** The data bytes of the committed, retained batches. */
    synchronized long storedBytes() {
        return committedBytes;
    }

    synchronized LogState state() {
        return new LogState(horizon(), committedNext, committedLastArrival);
    }

    /**
     * The key's committed version when memory can tell (the in-memory table holds the key, or nothing lies
     * below it), else {@code null}: ask {@link #currentVersion} off the event loop.
     */
    synchronized Long currentVersionInMemory(String key) {
        KeyHistory h = keys.get(key);
        if (h != null) {
            return h.lastVersionBelow(committedNext);
        }
        return keyIndex.hasLayers() ? null : ExpectedVersion.NO_VERSION;
    }

    /** The key's committed version (may read the key index's files: everything below memory is committed). */
    long currentVersion(String key) {
        Long v = currentVersionInMemory(key);
        if (v != null) {
            return v;
        }
        long below = keyIndex.latestVersion(keyId, key);
        return below < 0 ? ExpectedVersion.NO_VERSION : below;
    }

    /** The committed batches to visit to read from {@code from} (raised to the horizon), up to enough records. */
    synchronized ReadPlan readPlan(long from, int maxRecords) {
        long begin = Math.max(from, horizon());
        List<Long> batchFirsts = new ArrayList<>();
        int b = begin < committedNext ? batchIndexOf(begin) : -1;
        long records = 0;
        while (b >= 0 && b < end && firsts[b] < committedNext && records < maxRecords) {
            batchFirsts.add(firsts[b]);
            records += firsts[b] + counts[b] - Math.max(begin, firsts[b]);
            b++;
        }
        return new ReadPlan(begin, committedNext, state(), batchFirsts.stream().mapToLong(Long::longValue).toArray());
    }

    /** The position of the first committed record that arrived at or after the timestamp, else committedNext. */
    synchronized long seek(long timestampMillis) {
        int lo = start;
        int hi = end;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (arrivals[mid] < timestampMillis) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < end && firsts[lo] < committedNext ? firsts[lo] : committedNext;
    }

    /**
     * The committed, retained positions of a key's versions from {@code fromVersion}, and their batches (may
     * read the key index's files).
     */
    KeyPlan keyPlan(String key, long fromVersion, int maxRecords) {
        // Memory first, then the layers below: a rotation in between shows its entries twice (the map keeps one
        // per version), never not at all.
        TreeMap<Long, Long> found = new TreeMap<>();
        long retained;
        synchronized (this) {
            retained = horizon();
            KeyHistory h = keys.get(key);
            if (h != null) {
                h.forEach(fromVersion, retained, maxRecords, found::put);
            }
        }
        keyIndex.entries(keyId, key, fromVersion, retained, maxRecords, found);
        synchronized (this) {
            long horizon = horizon();
            long[] positions = new long[Math.min(maxRecords, found.size())];
            long[] batchFirsts = new long[positions.length];
            long firstVersion = -1;
            int n = 0;
            for (Map.Entry<Long, Long> e : found.entrySet()) {
                long p = e.getValue();
                if (p < horizon) {
                    continue; // trimmed
                }
                int b = p < committedNext ? batchIndexOf(p) : -1;
                if (b < 0 || n == positions.length) {
                    break; // not committed yet, or trimmed since the lookup
                }
                if (n == 0) {
                    firstVersion = e.getKey();
                }
                positions[n] = p;
                batchFirsts[n++] = firsts[b];
            }
            return new KeyPlan(Arrays.copyOf(positions, n), Arrays.copyOf(batchFirsts, n),
                    n == 0 ? Math.max(0, fromVersion) : firstVersion);
        }
    }

    /** Where a read starts, the visible end, the state, and the first positions of the batches to load. */
    record ReadPlan(long begin, long committedNext, LogState state, long[] batchFirsts) {
    }

    /** A key read's positions with the first position of the batch holding each. */
    record KeyPlan(long[] positions, long[] batchFirsts, long firstVersion) {
    }

    private long horizon() {
        return start < end ? firsts[start] : next;
    }

    /** Index of the retained batch holding the position, or -1. */
    private int batchIndexOf(long position) {
        if (start == end || position < firsts[start]) {
            return -1;
        }
        int i = Arrays.binarySearch(firsts, start, end, position);
        int b = i >= 0 ? i : -i - 2;
        return position < firsts[b] + counts[b] ? b : -1;
    }

    private void growBatchIndex() {
        int live = end - start;
        int capacity = live * 2 < firsts.length ? firsts.length : firsts.length * 2;
        firsts = shift(firsts, capacity);
        counts = shift(counts, capacity);
        arrivals = shift(arrivals, capacity);
        sizes = shift(sizes, capacity);
        end = live;
        start = 0;
    }

    private long[] shift(long[] a, int capacity) {
        long[] b = new long[capacity];
        System.arraycopy(a, start, b, 0, end - start);
        return b;
    }

    private int[] shift(int[] a, int capacity) {
        int[] b = new int[capacity];
        System.arraycopy(a, start, b, 0, end - start);
        return b;
    }
}
