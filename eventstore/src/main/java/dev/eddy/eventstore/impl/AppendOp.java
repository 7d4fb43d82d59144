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
    private final RecentBatches recent;

    AppendOp(String log, AppendBatch batch, Function<String, LogIndex> logForWrite, RecentBatches recent) {
        this.recent = recent;
        this.log = log;
        this.batch = batch;
        this.logForWrite = logForWrite;
    }

    @Override
    public AppendResult applyBlocking(GroupCommitWriter.CommitGroup group) {
        List<NewRecord> records = batch.records();
        LogIndex index = logForWrite.apply(log);

        AppendResult retry = checkEventIds(index, records);
        if (retry != null) {
            return retry;
        }
        for (Map.Entry<String, ExpectedVersion> e : batch.expectations().entrySet()) {
            long current = index.pendingVersion(e.getKey());
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
            long v = nextVersions.computeIfAbsent(keys[i], k -> index.pendingVersion(k) + 1);
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
     * Null when the append is new; the original result when every record's event id is stored (a retry).
     * Fails when only some are stored, or when one id appears twice in the batch.
     */
    private AppendResult checkEventIds(LogIndex index, List<NewRecord> records) {
        Set<String> seen = new HashSet<>();
        int stored = 0;
        String firstStored = null;
        for (NewRecord r : records) {
            String id = r.eventId();
            if (id == null) {
                continue;
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("event id '" + id + "' appears more than once in one append to log '"
                        + log + "'; event ids must be unique");
            }
            if (index.eventPosition(id) >= 0) {
                stored++;
                if (firstStored == null) {
                    firstStored = id;
                }
            }
        }
        if (stored == 0) {
            return null;
        }
        if (stored == records.size()) {
            return index.duplicateResult(records);
        }
        throw new DuplicateEventIdException(log, firstStored);
    }
}
