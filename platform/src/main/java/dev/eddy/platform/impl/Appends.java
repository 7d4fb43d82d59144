package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.EventStoreException;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import dev.eddy.platform.AppendedEvents;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.ExpectedVersion;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.VersionConflictException;
import io.vertx.core.Future;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The writes of {@link StreamsImpl}: PutRecord(s) and keyed event appends. Routes each entry to its shard, passes
 * the shard's reshard gate ({@link ShardGates}), appends one atomic batch per shard and wakes the shard's
 * listeners. Thread-safe and stateless: callers may be on any event loop. Appends to a shard are serialised by
 * the store, which applies a log's appends in call order and assigns its positions, so sequence numbers are
 * strictly increasing per shard without any lock here.
 */
final class Appends {

    private static final int MAX_RECORD_BYTES = 1024 * 1024;

    private final StreamsImpl streams;
    private final EventStore store;
    private final PlatformOptions options;
    private final StreamMetrics metrics;
    private final AppendListeners appendListeners;

    Appends(StreamsImpl streams, EventStore store, PlatformOptions options, StreamMetrics metrics,
            AppendListeners appendListeners) {
        this.streams = streams;
        this.store = store;
        this.options = options;
        this.metrics = metrics;
        this.appendListeners = appendListeners;
    }

    Future<PutResult> putRecord(String stream, PutEntry entry) {
        return putRecords(stream, List.of(entry)).compose(results -> {
            PutResult result = results.get(0);
            if (result.failed()) {
                ErrorCode code = "ProvisionedThroughputExceededException".equals(result.errorCode())
                        ? ErrorCode.PROVISIONED_THROUGHPUT_EXCEEDED : ErrorCode.SERVICE_UNAVAILABLE;
                return Future.failedFuture(new PlatformException(code, result.errorMessage()));
            }
            return Future.succeededFuture(result);
        });
    }

    Future<List<PutResult>> putRecords(String stream, List<PutEntry> entries) {
        StreamState state;
        int[] shardOf = new int[entries.size()];
        try {
            state = streams.writable(stream);
            for (int i = 0; i < entries.size(); i++) {
                PutEntry entry = entries.get(i);
                checkEntry(entry);
                BigInteger hashKey = entry.explicitHashKey() != null
                        ? HashKeys.parseExplicit(entry.explicitHashKey())
                        : HashKeys.ofPartitionKey(entry.partitionKey());
                shardOf[i] = state.routing().route(hashKey);
                if (shardOf[i] < 0) {
                    throw new PlatformException(ErrorCode.INTERNAL_FAILURE, "No open shard owns hash key " + hashKey);
                }
            }
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        // One atomic batch per shard, entries in request order, so per-key order holds.
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            groups.computeIfAbsent(shardOf[i], k -> new ArrayList<>()).add(i);
        }
        StreamMeta meta = state.meta();
        ShardGates gate = streams.gates(meta.uid());
        int[] shards = new int[groups.size()];
        int g = 0;
        for (int shardIndex : groups.keySet()) {
            shards[g++] = shardIndex;
        }
        Future<Void> resharding = gate.enter(shards);
        if (resharding != null) {
            // A reshard is closing one of these shards: once it is over, route again (to its children).
            return resharding.transform(ar -> putRecords(stream, entries));
        }
        PutResult[] results = new PutResult[entries.size()];
        long now = options.clock().millis();
        List<Future<Void>> appends = new ArrayList<>(groups.size());
        for (Map.Entry<Integer, List<Integer>> group : groups.entrySet()) {
            int shardIndex = group.getKey();
            List<Integer> members = group.getValue();
            List<NewRecord> records = new ArrayList<>(members.size());
            for (int i : members) {
                PutEntry e = entries.get(i);
                records.add(new NewRecord(e.partitionKey(), e.data(), e.eventId(), e.eventType(), e.metadata()));
            }
            String shardId = ShardIds.of(shardIndex);
            long bytes = 0;
            for (NewRecord r : records) {
                bytes += r.data().length;
            }
            long dataBytes = bytes;
            long started = System.nanoTime();
            appends.add(store.append(meta.logName(shardIndex), AppendBatch.of(records, now))
                    .andThen(ar -> gate.exit(shardIndex))
                    .<Void>map(appended -> {
                        metrics.storageAppend(System.nanoTime() - started);
                        metrics.incoming(stream, shardId, members.size(), dataBytes);
                        int heldBy = appended.log() == null ? shardIndex : meta.shardIndexOfLog(appended.log());
                        String heldById = ShardIds.of(heldBy);
                        for (int k = 0; k < members.size(); k++) {
                            results[members.get(k)] = PutResult.success(heldById,
                                    SequenceNumbers.format(meta.createdMillis(), heldBy, appended.positions()[k]),
                                    appended.versions()[k]);
                        }
                        appendListeners.fire(stream, shardId);
                        return null;
                    })
                    .recover(err -> {
                        String message = err instanceof EventStoreException ? err.getMessage()
                                : "Internal service failure.";
                        for (int i : members) {
                            results[i] = PutResult.failure("InternalFailure", message);
                        }
                        return Future.succeededFuture();
                    }));
        }
        return Future.all(appends).map(v -> Arrays.asList(results));
    }

    Future<AppendedEvents> appendEvents(String stream, String key, ExpectedVersion expected, List<PutEntry> events) {
        StreamState state;
        int shardIndex;
        List<NewRecord> records = new ArrayList<>(events.size());
        try {
            state = streams.writable(stream);
            if (events.isEmpty()) {
                throw PlatformException.invalidArgument("An append needs at least one event.");
            }
            for (PutEntry e : events) {
                PutEntry keyed = new PutEntry(key, null, e.data(), e.eventId(), e.eventType(), e.metadata());
                checkEntry(keyed);
                records.add(new NewRecord(key, e.data(), e.eventId(), e.eventType(), e.metadata()));
            }
            shardIndex = state.routing().route(HashKeys.ofPartitionKey(key));
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamMeta meta = state.meta();
        ShardGates gate = streams.gates(meta.uid());
        Future<Void> resharding = gate.enter(new int[] {shardIndex});
        if (resharding != null) {
            return resharding.transform(ar -> appendEvents(stream, key, expected, events));
        }
        String shardId = ShardIds.of(shardIndex);
        AppendBatch batch = new AppendBatch(records, expected.isAny() ? Map.of() : Map.of(key, toStore(expected)),
                options.clock().millis());
        long started = System.nanoTime();
        return store.append(meta.logName(shardIndex), batch)
                .andThen(ar -> gate.exit(shardIndex))
                .map(appended -> {
                    if (!appended.duplicate()) {
                        metrics.storageAppend(System.nanoTime() - started);
                        long bytes = 0;
                        for (NewRecord r : records) {
                            bytes += r.data().length;
                        }
                        metrics.incoming(stream, shardId, records.size(), bytes);
                    }
                    // A retry of an append made before a reshard is answered from the shard that holds it.
                    int heldBy = appended.log() == null ? shardIndex : meta.shardIndexOfLog(appended.log());
                    List<PutResult> results = new ArrayList<>(appended.count());
                    for (int k = 0; k < appended.count(); k++) {
                        results.add(PutResult.success(ShardIds.of(heldBy),
                                SequenceNumbers.format(meta.createdMillis(), heldBy, appended.positions()[k]),
                                appended.versions()[k]));
                    }
                    if (!appended.duplicate()) {
                        appendListeners.fire(stream, shardId);
                    }
                    return new AppendedEvents(results, appended.duplicate());
                })
                .recover(err -> {
                    if (err instanceof WrongExpectedVersionException w) {
                        Long current = w.actual() == dev.eddy.eventstore.spi.ExpectedVersion.NO_VERSION ? null : w.actual();
                        return Future.failedFuture(new VersionConflictException(stream, key, expected, current));
                    }
                    if (err instanceof DuplicateEventIdException d) {
                        return Future.failedFuture(PlatformException.invalidArgument(d.getMessage()));
                    }
                    return StreamsImpl.storageFailure(err);
                });
    }

    private static dev.eddy.eventstore.spi.ExpectedVersion toStore(ExpectedVersion expected) {
        return expected.isAny() ? dev.eddy.eventstore.spi.ExpectedVersion.any()
                : expected.isNone() ? dev.eddy.eventstore.spi.ExpectedVersion.none()
                : dev.eddy.eventstore.spi.ExpectedVersion.exactly(expected.version());
    }

    private static void checkEntry(PutEntry entry) {
        String key = entry.partitionKey();
        if (key == null || key.isEmpty() || key.codePointCount(0, key.length()) > 256) {
            throw PlatformException.invalidArgument("PartitionKey must be 1 to 256 Unicode characters long.");
        }
        long size = (long) entry.data().length + key.getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_RECORD_BYTES) {
            throw PlatformException.invalidArgument("The size of the record (partition key and data, " + size
                    + " bytes) exceeds the maximum record size of " + MAX_RECORD_BYTES + " bytes.");
        }
    }
}
