package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One append as the writer thread applies it: idempotency and expected-version checks, then positions,
 * versions and arrival time, then one encoded batch put into storage. Runs on the writer thread only.
 *
 * <p>Checks read the log's pending state, which includes appends applied earlier in the same uncommitted
 * group, so two conflicting appends in one group cannot both pass.
 */
final class AppendOp implements GroupCommitWriter.WriteOp<AppendResult> {

    private final String log;
    private final AppendBatch batch;
    private final Function<String, LogIndex> logForWrite;
    private final Function<String, List<LogIndex>> ancestorsOf;
    private final RecentBatches recent;

    /**
     * @param ancestorsOf the stored logs a log continues (see {@link dev.eddy.eventstore.spi.LogLineage}), empty
     *                    for most logs
     */
    AppendOp(String log, AppendBatch batch, Function<String, LogIndex> logForWrite,
             Function<String, List<LogIndex>> ancestorsOf, RecentBatches recent) {
        this.recent = recent;
        this.log = log;
        this.batch = batch;
        this.logForWrite = logForWrite;
        this.ancestorsOf = ancestorsOf;
    }

    @Override
    public AppendResult applyBlocking(GroupCommitWriter.CommitGroup group) {
        List<NewRecord> records = batch.records();
        LogIndex index = logForWrite.apply(log);
        List<LogIndex> ancestors = ancestorsOf.apply(log);

        AppendResult retry = checkEventIds(index, ancestors, records);
        if (retry != null) {
            return retry;
        }
        for (Map.Entry<String, ExpectedVersion> e : batch.expectations().entrySet()) {
            long current = versionOf(index, ancestors, e.getKey());
            if (!e.getValue().matches(current)) {
                throw new WrongExpectedVersionException(log, e.getKey(), e.getValue(), current);
            }
        }

        int n = records.size();
        long first = index.next();
        long arrival = Math.max(batch.arrivalMillis(), index.lastArrival());
        String[] keys = new String[n];
        String[] ids = new String[n];
        long[] positions = new long[n];
        long[] versions = new long[n];
        Map<String, Long> nextVersions = new HashMap<>();
        for (int i = 0; i < n; i++) {
            NewRecord r = records.get(i);
            keys[i] = r.partitionKey();
            ids[i] = r.eventId();
            positions[i] = first + i;
            long v = nextVersions.computeIfAbsent(keys[i], k -> versionOf(index, ancestors, k) + 1);
            versions[i] = v;
            nextVersions.put(keys[i], v + 1);
        }
        BatchCodec.Encoded encoded = BatchCodec.encode(first, arrival, records, versions);
        index.slot.putBatchBlocking(first, encoded.batch(), encoded.keySection());
        index.apply(first, arrival, keys, versions, ids, encoded.dataBytes());
        byte[] batch = encoded.batch();
        group.afterCommit(() -> {
            recent.add(index, first, batch);
            index.publish();
        });
        return new AppendResult(positions, versions, arrival, false);
    }

    /**
     * The key's version in the log including appends applied earlier in this group; for a key the log has not seen,
     * the highest it reached in the logs the log continues (closed, so their committed state is final).
     */
    private static long versionOf(LogIndex index, List<LogIndex> ancestors, String key) {
        long v = index.pendingVersion(key);
        if (v != ExpectedVersion.NO_VERSION) {
            return v;
        }
        for (LogIndex ancestor : ancestors) {
            v = Math.max(v, ancestor.currentVersion(key));
        }
        return v;
    }

    /**
     * Null when the append is new; the original result when every record's event id is stored (a retry), in this
     * log or, all of them, in one of the logs it continues. Fails when only some are stored, or when one id appears
     * twice in the batch.
     */
    private AppendResult checkEventIds(LogIndex index, List<LogIndex> ancestors, List<NewRecord> records) {
        Set<String> seen = new HashSet<>();
        int stored = 0;
        String firstStored = null;
        LogIndex holder = null;
        boolean oneHolder = true;
        for (NewRecord r : records) {
            String id = r.eventId();
            if (id == null) {
                continue;
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("event id '" + id + "' appears more than once in one append to log '"
                        + log + "'; event ids must be unique");
            }
            LogIndex found = index.eventPosition(id) >= 0 ? index : null;
            for (int a = 0; found == null && a < ancestors.size(); a++) {
                found = ancestors.get(a).eventPosition(id) >= 0 ? ancestors.get(a) : null;
            }
            if (found != null) {
                stored++;
                oneHolder &= holder == null || holder == found;
                holder = found;
                if (firstStored == null) {
                    firstStored = id;
                }
            }
        }
        if (stored == 0) {
            return null;
        }
        if (stored == records.size() && oneHolder) {
            AppendResult original = holder.duplicateResult(records);
            return holder == index ? original : new AppendResult(original.positions(), original.versions(),
                    original.arrivalMillis(), true, holder.name);
        }
        throw new DuplicateEventIdException(log, firstStored);
    }
}
