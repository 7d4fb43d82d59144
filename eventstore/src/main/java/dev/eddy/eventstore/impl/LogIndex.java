package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.AppendResult;
import dev.eddy.eventstore.ExpectedVersion;
import dev.eddy.eventstore.LogState;
import dev.eddy.eventstore.NewRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-memory state of one log: its batch index, bounds, per-key version histories and event ids.
 * Thread-safe: every method synchronizes on the instance for a few microseconds and never does I/O, so
 * readers and the writer thread do not wait on each other's storage work.
 *
 * <p>The writer applies a batch here as soon as it is put into storage ({@link #apply}); readers see only
 * what was {@link #publish() published} after the commit that made it durable ({@code committedNext}).
 */
final class LogIndex {

    final String name;
    final BatchStorage.LogSlot slot;

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

    private final Map<String, KeyHistory> keys = new HashMap<>();
    private final Map<String, Long> eventPositions = new HashMap<>();

    LogIndex(String name, BatchStorage.LogSlot slot) {
        this.name = name;
        this.slot = slot;
    }

    // ---- writer side (includes applied but not yet committed batches) ----

    synchronized long next() {
        return next;
    }

    synchronized long lastArrival() {
        return lastArrival;
    }

    synchronized long pendingVersion(String key) {
        KeyHistory h = keys.get(key);
        return h == null ? ExpectedVersion.NO_VERSION : h.nextVersion() - 1;
    }

    /** The position of the record stored with that event id, or -1. */
    synchronized long eventPosition(String eventId) {
        Long p = eventPositions.get(eventId);
        return p == null ? -1 : p;
    }

    /** The original result of an append whose records' event ids are all stored. */
    synchronized AppendResult duplicateResult(List<NewRecord> records) {
        long[] positions = new long[records.size()];
        long[] versions = new long[records.size()];
        for (int i = 0; i < positions.length; i++) {
            NewRecord r = records.get(i);
            positions[i] = eventPositions.get(r.eventId());
            KeyHistory h = keys.get(r.partitionKey());
            versions[i] = h == null ? -1 : h.versionAt(positions[i]);
        }
        int b = batchIndexOf(positions[0]);
        return new AppendResult(positions, versions, b < 0 ? -1 : arrivals[b], true);
    }

    /** Adds a stored batch; {@code versions} must continue each key's history. */
    synchronized void apply(long first, long arrival, String[] recordKeys, long[] versions, String[] eventIds,
                            long dataBytes) {
        if (first != next && end > start) {
            throw new IllegalStateException("log '" + name + "': batch at " + first + " does not follow " + next);
        }
        if (end == firsts.length) {
            growBatchIndex();
        }
        firsts[end] = first;
        counts[end] = recordKeys.length;
        arrivals[end] = arrival;
        sizes[end] = dataBytes;
        bytes += dataBytes;
        end++;
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
        next = first + recordKeys.length;
        lastArrival = Math.max(lastArrival, arrival);
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

    /** What a reopen needs beyond the remaining batches: bounds and the keys left without records. */
    synchronized BatchCodec.TrimSummary trimSummary() {
        Map<String, Long> empty = new HashMap<>();
        keys.forEach((key, h) -> {
            if (h.isEmpty()) {
                empty.put(key, h.nextVersion() - 1);
            }
        });
        return new BatchCodec.TrimSummary(next, lastArrival, empty);
    }

    /** Applies a trim summary found at open, after the remaining batches. */
    synchronized void restore(BatchCodec.TrimSummary summary) {
        next = Math.max(next, summary.nextPosition());
        lastArrival = Math.max(lastArrival, summary.lastArrivalMillis());
        summary.keyVersions().forEach((key, last) -> keys.computeIfAbsent(key, k -> new KeyHistory(last + 1)));
    }

    // ---- reader side (committed only) ----

    /** The data bytes of the committed, retained batches. */
    synchronized long storedBytes() {
        return committedBytes;
    }

    synchronized LogState state() {
        return new LogState(horizon(), committedNext, committedLastArrival);
    }

    synchronized long currentVersion(String key) {
        KeyHistory h = keys.get(key);
        return h == null ? ExpectedVersion.NO_VERSION : h.lastVersionBelow(committedNext);
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

    /** The committed, retained positions of a key's versions from {@code fromVersion}, and their batches. */
    synchronized KeyPlan keyPlan(String key, long fromVersion, int maxRecords) {
        KeyHistory h = keys.get(key);
        if (h == null) {
            return new KeyPlan(new long[0], new long[0], 0);
        }
        long[] firstVersion = new long[1];
        long[] positions = h.positions(fromVersion, committedNext, maxRecords, firstVersion);
        long[] batchFirsts = new long[positions.length];
        for (int i = 0; i < positions.length; i++) {
            batchFirsts[i] = firsts[batchIndexOf(positions[i])];
        }
        return new KeyPlan(positions, batchFirsts, firstVersion[0]);
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
