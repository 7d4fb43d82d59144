package dev.eddy.platform.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.EventStoreException;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.AppendedEvents;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.ConsumerGroups;
import dev.eddy.platform.Consumers;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.ExpectedVersion;
import dev.eddy.platform.Feeds;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.HistoryEvent;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardFilter;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamDescription;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.StreamStatus;
import dev.eddy.platform.Streams;
import dev.eddy.platform.VersionConflictException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@link Streams} over an {@link EventStore}: one log per shard, named {@code <stream uid>/<shard index>}.
 * Stream metadata lives in the store (namespace {@code streams}) and in an in-memory map of immutable
 * snapshots. Thread-safe: callers may be on any event loop. Appends to a shard are serialised by the
 * store, which applies a log's appends in call order and assigns its positions, so sequence numbers are
 * strictly increasing per shard without any lock here.
 */
public final class StreamsImpl implements Streams {

    static final String STREAMS_NS = "streams";
    private static final String PLATFORM_NS = "platform";
    private static final String ITERATOR_KEY = "iterator-key";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final int MAX_RECORD_BYTES = 1024 * 1024;
    private static final long MAX_GET_BYTES = 10L * 1024 * 1024;
    private static final int ON_DEMAND_SHARDS = 4;
    private static final int DEFAULT_RETENTION_HOURS = 24;
    private static final long STORED_RECORDS_REFRESH_MILLIS = 5000;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Vertx vertx;
    private final EventStore store;
    private final PlatformOptions options;
    private final ShardIterators iterators;
    private final ConcurrentMap<String, StreamState> streams = new ConcurrentHashMap<>();
    private final AppendListeners appendListeners = new AppendListeners();
    private final ConsumerGroupsImpl groups;
    private final ConsumersImpl consumers;
    private final FeedsImpl feeds;
    private final Resharding resharding;
    private final Retention retention;
    /** Storage reads made for feeds (catching up and the shared tails): feeds that follow a shard share them. */
    private final LongAdder feedReads = new LongAdder();
    /** Appends in flight per shard and the reshard gates, per stream incarnation (uid). */
    private final ConcurrentMap<String, ShardGates> gates = new ConcurrentHashMap<>();
    private final StreamMetrics metrics;
    /** Records stored per stream (by name), refreshed every few seconds for the stored-records gauge. */
    private final ConcurrentMap<String, AtomicLong> storedRecords = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> storedBytes = new ConcurrentHashMap<>();

    /** A stream's current metadata with its derived routing table. Immutable. */
    private record StreamState(StreamMeta meta, RoutingTable routing) {
        StreamState(StreamMeta meta) {
            this(meta, new RoutingTable(meta.shards()));
        }

        Shard shard(int index) {
            return index >= 0 && index < meta.shards().size() ? meta.shards().get(index) : null;
        }
    }

    private StreamsImpl(Vertx vertx, EventStore store, PlatformOptions options, byte[] iteratorKey,
                        StreamMetrics metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.store = store;
        this.options = options;
        this.iterators = new ShardIterators(iteratorKey, options.clock(), options.iteratorTtl());
        this.groups = new ConsumerGroupsImpl(store, name -> readable(name).meta());
        this.feeds = new FeedsImpl(vertx, this);
        this.consumers = new ConsumersImpl(vertx, this, store, options);
        this.resharding = new Resharding(vertx, this, options);
        this.retention = new Retention(vertx, this, store, options);
    }

    /** Loads the iterator key and every stream, finishing lifecycle transitions a restart interrupted. */
    public static Future<StreamsImpl> start(Vertx vertx, EventStore store, PlatformOptions options,
                                            StreamMetrics metrics) {
        return loadOrCreateIteratorKey(store)
                .map(key -> new StreamsImpl(vertx, store, options, key, metrics))
                .compose(impl -> impl.loadStreams().map(impl))
                .onSuccess(impl -> {
                    impl.retention.schedule();
                    impl.refreshStoredRecords();
                    vertx.setPeriodic(STORED_RECORDS_REFRESH_MILLIS, id -> impl.refreshStoredRecords());
                });
    }

    /** Re-counts the records stored per stream for the gauge (reads log states; never blocks). */
    private void refreshStoredRecords() {
        for (StreamState state : streams.values()) {
            StreamMeta meta = state.meta();
            if (meta.status() == StreamStatus.DELETING) {
                continue;
            }
            List<Future<LogState>> shards = new ArrayList<>();
            List<Future<Long>> bytes = new ArrayList<>();
            for (int i = 0; i < meta.shards().size(); i++) {
                shards.add(store.state(meta.logName(i)));
                bytes.add(store.storedBytes(meta.logName(i)));
            }
            Future.all(bytes).onSuccess(all -> {
                long total = 0;
                for (int i = 0; i < all.size(); i++) {
                    total += all.<Long>resultAt(i);
                }
                AtomicLong count = storedBytes.get(meta.name());
                if (count != null) {
                    count.set(total);
                }
            });
            Future.all(shards).onSuccess(all -> {
                long total = 0;
                for (int i = 0; i < all.size(); i++) {
                    LogState log = all.resultAt(i);
                    total += Math.max(0, log.nextPosition() - log.firstPosition());
                }
                AtomicLong count = storedRecords.get(meta.name());
                if (count != null) {
                    count.set(total);
                }
            });
        }
    }

    private void registerMetrics(StreamMeta meta) {
        AtomicLong count = storedRecords.computeIfAbsent(meta.name(), n -> new AtomicLong());
        AtomicLong bytes = storedBytes.computeIfAbsent(meta.name(), n -> new AtomicLong());
        metrics.streamCreated(meta.name(), count::get, bytes::get);
    }

    private void unregisterMetrics(String name) {
        metrics.streamDeleted(name);
        storedRecords.remove(name);
        storedBytes.remove(name);
    }

    private static Future<byte[]> loadOrCreateIteratorKey(EventStore store) {
        return store.get(PLATFORM_NS, ITERATOR_KEY).compose(existing -> {
            if (existing != null) {
                return Future.succeededFuture(existing);
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            return store.put(PLATFORM_NS, ITERATOR_KEY, key).map(key);
        });
    }

    private Future<Void> loadStreams() {
        return store.list(STREAMS_NS).compose(entries -> {
            List<Future<?>> pending = new ArrayList<>();
            for (byte[] value : entries.values()) {
                StreamMeta meta = decode(value);
                streams.put(meta.name(), new StreamState(meta));
                if (meta.status() != StreamStatus.DELETING) {
                    declareLineage(meta);
                    registerMetrics(meta);
                    pending.add(consumers.load(meta));
                }
                if (meta.status() == StreamStatus.CREATING || meta.status() == StreamStatus.UPDATING) {
                    pending.add(persist(meta.withStatus(StreamStatus.ACTIVE)));
                } else if (meta.status() == StreamStatus.DELETING) {
                    pending.add(purge(meta));
                }
            }
            return Future.all(pending).mapEmpty();
        });
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    @Override
    public Future<Void> createStream(CreateStreamRequest request) {
        try {
            checkName(request.name());
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        int shardCount;
        if (request.mode() == StreamMode.ON_DEMAND) {
            shardCount = request.shardCount() == null ? ON_DEMAND_SHARDS : request.shardCount();
        } else if (request.shardCount() == null) {
            return Future.failedFuture(PlatformException.invalidArgument(
                    "ShardCount is required for a stream in PROVISIONED mode."));
        } else {
            shardCount = request.shardCount();
        }
        if (shardCount < 1) {
            return Future.failedFuture(PlatformException.invalidArgument(
                    "ShardCount must be at least 1, got " + shardCount + "."));
        }
        if (shardCount > options.maxShardsPerStream()) {
            return Future.failedFuture(new PlatformException(ErrorCode.LIMIT_EXCEEDED,
                    "This request would exceed the shard limit for the account " + options.accountId() + " in "
                            + options.region() + ". Current shard limit for the stream is "
                            + options.maxShardsPerStream() + ". Requested: " + shardCount + "."));
        }
        long now = options.clock().millis();
        List<Shard> shards = new ArrayList<>(shardCount);
        for (int i = 0; i < shardCount; i++) {
            shards.add(new Shard(ShardIds.of(i), null, null, HashKeys.rangeStart(i, shardCount),
                    HashKeys.rangeEnd(i, shardCount), SequenceNumbers.format(now, i, 0), null, now, -1));
        }
        boolean instant = options.createStreamDelay().isZero();
        StreamMeta meta = new StreamMeta(request.name(), newUid(), instant ? StreamStatus.ACTIVE : StreamStatus.CREATING,
                request.mode(), DEFAULT_RETENTION_HOURS, now, shards, request.tags(), shardCount, 0);
        if (streams.putIfAbsent(meta.name(), new StreamState(meta)) != null) {
            return Future.failedFuture(PlatformException.inUse("Stream " + meta.name() + " under account "
                    + options.accountId() + " already exists."));
        }
        return persist(meta)
                .onFailure(err -> streams.remove(meta.name()))
                .onSuccess(v -> {
                    registerMetrics(meta);
                    if (!instant) {
                        vertx.setTimer(options.createStreamDelay().toMillis(),
                                id -> activate(meta.name(), meta.uid()));
                    }
                });
    }

    private void activate(String name, String uid) {
        StreamState state = streams.get(name);
        if (state != null && state.meta().uid().equals(uid) && state.meta().status() == StreamStatus.CREATING) {
            persist(state.meta().withStatus(StreamStatus.ACTIVE));
        }
    }

    @Override
    public Future<Void> deleteStream(String name, boolean enforceConsumerDeletion) {
        StreamState state;
        try {
            state = existing(name);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamMeta meta = state.meta();
        if (meta.status() == StreamStatus.DELETING) {
            return Future.succeededFuture();
        }
        if (!enforceConsumerDeletion && consumers.count(meta) > 0) {
            return Future.failedFuture(PlatformException.inUse("Stream " + name + " under account "
                    + options.accountId() + " has " + consumers.count(meta) + " registered consumer(s): deregister"
                    + " them or delete with EnforceConsumerDeletion."));
        }
        StreamMeta deleting = meta.withStatus(StreamStatus.DELETING);
        return persist(deleting).compose(v -> {
            unregisterMetrics(name);
            for (Shard shard : deleting.shards()) {
                appendListeners.fire(name, shard.shardId());
            }
            if (options.deleteStreamDelay().isZero()) {
                return purge(deleting);
            }
            vertx.setTimer(options.deleteStreamDelay().toMillis(), id -> purge(deleting));
            return Future.succeededFuture();
        });
    }

    /** Removes a DELETING stream's logs, then its metadata. */
    private Future<Void> purge(StreamMeta meta) {
        List<Future<Void>> deletions = new ArrayList<>();
        for (int i = 0; i < meta.shards().size(); i++) {
            deletions.add(store.deleteLog(meta.logName(i)));
        }
        return Future.all(deletions)
                .compose(v -> groups.purge(meta))
                .compose(v -> consumers.purge(meta))
                .compose(v -> store.remove(STREAMS_NS, meta.name()))
                .onSuccess(v -> {
                    streams.computeIfPresent(meta.name(), (k, old) -> old.meta().uid().equals(meta.uid()) ? null : old);
                    gates.remove(meta.uid());
                })
                .recover(StreamsImpl::storageFailure);
    }

    @Override
    public Feeds feeds() {
        return feeds;
    }

    @Override
    public Consumers consumers() {
        return consumers;
    }

    @Override
    public ConsumerGroups consumerGroups() {
        return groups;
    }

    @Override
    public Future<StreamDescription> describeStream(String name) {
        try {
            return Future.succeededFuture(describe(existing(name).meta()));
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
    }

    @Override
    public Future<List<StreamDescription>> listStreams() {
        List<StreamDescription> all = new ArrayList<>();
        for (StreamState state : streams.values()) {
            all.add(describe(state.meta()));
        }
        all.sort((a, b) -> a.name().compareTo(b.name()));
        return Future.succeededFuture(all);
    }

    private StreamDescription describe(StreamMeta meta) {
        return new StreamDescription(meta.name(), arn(meta.name()), meta.status(), meta.mode(), meta.retentionHours(),
                meta.createdMillis(), meta.shards(), consumers.count(meta));
    }

    // ---- writes ----------------------------------------------------------------------------------

    @Override
    public Future<PutResult> putRecord(String stream, PutEntry entry) {
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

    @Override
    public Future<List<PutResult>> putRecords(String stream, List<PutEntry> entries) {
        StreamState state;
        int[] shardOf = new int[entries.size()];
        try {
            state = writable(stream);
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
        ShardGates gate = gates(meta.uid());
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

    @Override
    public Future<AppendedEvents> appendEvents(String stream, String key, ExpectedVersion expected,
                                               List<PutEntry> events) {
        StreamState state;
        int shardIndex;
        List<NewRecord> records = new ArrayList<>(events.size());
        try {
            state = writable(stream);
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
        ShardGates gate = gates(meta.uid());
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
                    return storageFailure(err);
                });
    }

    private static dev.eddy.eventstore.spi.ExpectedVersion toStore(ExpectedVersion expected) {
        return expected.isAny() ? dev.eddy.eventstore.spi.ExpectedVersion.any()
                : expected.isNone() ? dev.eddy.eventstore.spi.ExpectedVersion.none()
                : dev.eddy.eventstore.spi.ExpectedVersion.exactly(expected.version());
    }

    @Override
    public Future<List<HistoryEvent>> readEvents(String stream, String key, long fromVersion, int limit) {
        StreamState state;
        int shardIndex;
        try {
            state = readable(stream);
            if (key == null || key.isEmpty()) {
                throw PlatformException.invalidArgument("An aggregate key must be 1 to 256 characters long.");
            }
            if (fromVersion < 0 || limit < 1) {
                throw PlatformException.invalidArgument("fromVersion must be >= 0 and limit >= 1, got "
                        + fromVersion + " and " + limit + ".");
            }
            shardIndex = state.routing().route(HashKeys.ofPartitionKey(key));
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamMeta meta = state.meta();
        // The key's history runs through the shards it lived in before splits and merges, oldest first.
        List<Integer> lineage = meta.keyLineage(shardIndex, HashKeys.ofPartitionKey(key));
        long retainedFrom = meta.retainedFromMillis(options.clock().millis());
        return readEvents(meta, lineage, 0, key, fromVersion, limit, new ArrayList<>(), retainedFrom)
                .recover(StreamsImpl::storageFailure);
    }

    /** Reads the key's history from {@code lineage}'s shards from the {@code at}-th on, until {@code limit}. */
    private Future<List<HistoryEvent>> readEvents(StreamMeta meta, List<Integer> lineage, int at, String key,
                                                  long fromVersion, int limit, List<HistoryEvent> out,
                                                  long retainedFrom) {
        int shardIndex = lineage.get(at);
        String shardId = ShardIds.of(shardIndex);
        return store.readKey(meta.logName(shardIndex), key, fromVersion, limit - out.size())
                .compose(stored -> {
                    long next = fromVersion;
                    for (StoredRecord r : stored) {
                        if (r.arrivalMillis() >= retainedFrom) {
                            out.add(new HistoryEvent(shardId, toRecord(meta, shardIndex, r)));
                        }
                        next = r.version() + 1;
                    }
                    if (at + 1 == lineage.size() || out.size() >= limit) {
                        return Future.succeededFuture(out);
                    }
                    return readEvents(meta, lineage, at + 1, key, next, limit, out, retainedFrom);
                });
    }

    private static Record toRecord(StreamMeta meta, int shardIndex, StoredRecord r) {
        return new Record(SequenceNumbers.format(meta.createdMillis(), shardIndex, r.position()), r.arrivalMillis(),
                r.data(), r.partitionKey(), r.version(), r.eventId(), r.eventType(), r.metadata());
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

    // ---- reads -----------------------------------------------------------------------------------

    @Override
    public Future<String> getShardIterator(ShardIteratorRequest request) {
        StreamState state;
        Shard shard;
        try {
            state = readable(request.stream());
            shard = shardOf(state, request.shardId());
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamMeta meta = state.meta();
        int index = ShardIds.index(shard.shardId());
        String log = meta.logName(index);
        Future<Long> position;
        try {
            position = switch (request.type()) {
                case TRIM_HORIZON -> Future.succeededFuture(0L);
                case LATEST -> store.state(log).map(s -> s.nextPosition());
                case AT_SEQUENCE_NUMBER -> Future.succeededFuture(
                        SequenceNumbers.position(required(request.sequenceNumber(), "StartingSequenceNumber",
                                request.type()), meta.createdMillis(), index, shard.shardId()));
                case AFTER_SEQUENCE_NUMBER -> Future.succeededFuture(
                        SequenceNumbers.position(required(request.sequenceNumber(), "StartingSequenceNumber",
                                request.type()), meta.createdMillis(), index, shard.shardId()) + 1);
                case AT_TIMESTAMP -> {
                    if (request.timestampMillis() == null) {
                        throw PlatformException.invalidArgument(
                                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.");
                    }
                    yield store.seek(log, request.timestampMillis());
                }
            };
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        return position
                .map(p -> iterators.issue(meta.name(), meta.uid(), index, p))
                .recover(StreamsImpl::storageFailure);
    }

    private static String required(String value, String name, IteratorType type) {
        if (value == null) {
            throw PlatformException.invalidArgument("Must specify " + name + " for iterator of type " + type + ".");
        }
        return value;
    }

    @Override
    public Future<GetRecordsResult> getRecords(String shardIterator, int limit) {
        ShardIterators.Position at;
        StreamState state;
        Shard shard;
        try {
            at = iterators.open(shardIterator);
            state = streams.get(at.stream());
            if (state == null || !state.meta().uid().equals(at.streamUid())
                    || state.meta().status() == StreamStatus.DELETING) {
                throw PlatformException.notFound("Shard " + ShardIds.of(at.shardIndex()) + " in stream "
                        + at.stream() + " under account " + options.accountId() + " does not exist");
            }
            shard = state.shard(at.shardIndex());
            if (shard == null) {
                throw PlatformException.invalidArgument("Invalid ShardIterator.");
            }
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        StreamMeta meta = state.meta();
        int index = at.shardIndex();
        return store.read(meta.logName(index), at.position(), limit, MAX_GET_BYTES)
                .map(read -> toResult(meta, shard, index, read))
                .recover(StreamsImpl::storageFailure);
    }

    private GetRecordsResult toResult(StreamMeta meta, Shard shard, int index, ReadResult read) {
        ShardPage page = page(meta, shard, index, read);
        if (page.ended()) {
            return new GetRecordsResult(page.records(), null, 0, page.children(), meta.name(), shard.shardId(), true);
        }
        String next = iterators.issue(meta.name(), meta.uid(), index, page.nextPosition());
        return new GetRecordsResult(page.records(), next, page.millisBehindLatest(), List.of(), meta.name(),
                shard.shardId(), page.caughtUp());
    }

    private ShardPage page(StreamMeta meta, Shard shard, int index, ReadResult read) {
        long retainedFrom = meta.retainedFromMillis(options.clock().millis());
        boolean closed = shard != null && !shard.isOpen();
        // A closed shard ends at its ending sequence number: nothing past it is ever part of the shard.
        long end = closed ? SequenceNumbers.position(shard.endingSequenceNumber(), meta.createdMillis(), index,
                shard.shardId()) : Long.MAX_VALUE;
        List<Record> records = new ArrayList<>(read.records().size());
        long next = read.nextPosition();
        for (StoredRecord r : read.records()) {
            if (r.position() > end) {
                next = r.position();
                break;
            }
            // Past the retention period (the oldest records): unreadable now, whether or not the retention job
            // has removed them yet. Only a prefix is dropped, so the rest stay at consecutive positions.
            if (!records.isEmpty() || r.arrivalMillis() >= retainedFrom) {
                records.add(toRecord(meta, index, r));
            }
        }
        boolean caughtUp = next >= read.state().nextPosition() || next > end;
        long behind = 0;
        if (!caughtUp && !read.records().isEmpty()) {
            long lastRead = read.records().get(read.records().size() - 1).arrivalMillis();
            behind = Math.max(0, read.state().lastArrivalMillis() - lastRead);
        }
        boolean ended = caughtUp && closed;
        return new ShardPage(records, next, caughtUp, behind, ended ? children(meta, shard) : null);
    }

    private static List<ChildShard> children(StreamMeta meta, Shard parent) {
        List<ChildShard> children = new ArrayList<>();
        for (Shard s : meta.shards()) {
            if (parent.shardId().equals(s.parentShardId()) || parent.shardId().equals(s.adjacentParentShardId())) {
                List<String> parents = s.adjacentParentShardId() == null ? List.of(s.parentShardId())
                        : List.of(s.parentShardId(), s.adjacentParentShardId());
                children.add(new ChildShard(s.shardId(), parents, s.startingHashKey(), s.endingHashKey()));
            }
        }
        return children;
    }

    // ---- resharding (Resharding does the work; these are its hooks) --------------------------------

    @Override
    public Future<Void> splitShard(String stream, String shardToSplit, String newStartingHashKey) {
        return resharding.split(stream, shardToSplit, newStartingHashKey);
    }

    @Override
    public Future<Void> mergeShards(String stream, String shardToMerge, String adjacentShardToMerge) {
        return resharding.merge(stream, shardToMerge, adjacentShardToMerge);
    }

    @Override
    public Future<Integer> updateShardCount(String stream, int target) {
        return resharding.updateShardCount(stream, target);
    }

    ShardGates gates(String uid) {
        return gates.computeIfAbsent(uid, k -> new ShardGates());
    }

    /** The stream's incarnation if a reshard may start: ACTIVE, else RESOURCE_IN_USE (or RESOURCE_NOT_FOUND). */
    StreamMeta reshardable(String stream) {
        StreamMeta meta = existing(stream).meta();
        if (meta.status() != StreamStatus.ACTIVE) {
            throw PlatformException.inUse("Stream " + stream + " under account " + options.accountId()
                    + " not ACTIVE, instead in state " + meta.status());
        }
        return meta;
    }

    /** Marks the stream UPDATING in memory if it is still exactly {@code meta}; false if it changed. */
    boolean beginReshard(StreamMeta meta) {
        StreamState now = streams.get(meta.name());
        return now != null && now.meta() == meta
                && streams.replace(meta.name(), now, new StreamState(meta.withStatus(StreamStatus.UPDATING)));
    }

    /** The stream's current incarnation while it reshards, or RESOURCE_NOT_FOUND once deleted meanwhile. */
    StreamMeta reshardingMeta(String stream, String uid) {
        StreamState now = streams.get(stream);
        if (now == null || !now.meta().uid().equals(uid) || now.meta().status() != StreamStatus.UPDATING) {
            throw PlatformException.notFound("Stream " + stream + " was deleted while it was resharding.");
        }
        return now.meta();
    }

    /** Stores the new layout (one atomic put: a crash leaves the stream before or after the reshard). */
    Future<Void> commitReshard(StreamMeta next) {
        declareLineage(next); // before any append can reach the children
        return persist(next);
    }

    /**
     * Tells the store which logs each resharded shard continues, so that a key's versions and event ids carry on
     * across splits and merges (the store keeps this in memory: declared at every start and reshard).
     */
    private void declareLineage(StreamMeta meta) {
        for (int i = 0; i < meta.shards().size(); i++) {
            List<Integer> ancestors = meta.ancestorsOf(i);
            if (!ancestors.isEmpty()) {
                List<String> logs = new ArrayList<>(ancestors.size());
                for (int a : ancestors) {
                    logs.add(meta.logName(a));
                }
                store.declareLineage(meta.logName(i), logs);
            }
        }
    }

    /** An abandoned reshard: the stream is ACTIVE again with its old layout. */
    void abandonReshard(String stream, String uid) {
        streams.computeIfPresent(stream, (k, old) -> old.meta().uid().equals(uid)
                && old.meta().status() == StreamStatus.UPDATING ? new StreamState(old.meta().withStatus(StreamStatus.ACTIVE))
                : old);
    }

    Future<LogState> logState(String log) {
        return store.state(log).recover(StreamsImpl::storageFailure);
    }

    /** Wakes the readers of a shard that just closed, so they read to its end and go on to its children. */
    void shardClosed(String stream, String shardId) {
        appendListeners.fire(stream, shardId);
    }

    /** After a reshard committed: the consumer groups deal the new layout. */
    void resharded(String stream) {
        StreamState state = streams.get(stream);
        if (state != null) {
            groups.resharded(state.meta());
        }
    }

    /** How many storage reads feeds have made so far. */
    long feedReads() {
        return feedReads.sum();
    }

    ConsumerGroupsImpl groups() {
        return groups;
    }

    // ---- retention (Retention does the work) -------------------------------------------------------

    @Override
    public Future<Void> increaseRetention(String stream, int hours) {
        return retention.change(stream, hours, true);
    }

    @Override
    public Future<Void> decreaseRetention(String stream, int hours) {
        return retention.change(stream, hours, false);
    }

    /** The retention job's pass; see {@link Retention#trimExpired}. */
    Future<Long> trimExpired() {
        return retention.trimExpired();
    }

    /** The stream's incarnation if it can be written now (ACTIVE or UPDATING); RESOURCE_NOT_FOUND otherwise. */
    StreamMeta writableMeta(String stream) {
        return writable(stream).meta();
    }

    /** Every stream's current incarnation. */
    List<StreamMeta> metas() {
        List<StreamMeta> all = new ArrayList<>();
        for (StreamState state : streams.values()) {
            all.add(state.meta());
        }
        return all;
    }

    /** Stores a changed stream meta (same incarnation) and makes it current. */
    Future<Void> update(StreamMeta meta) {
        return persist(meta);
    }

    // ---- feeds (FeedsImpl reads by position, without iterators) -----------------------------------

    /** The stream's incarnation if it can be read now; RESOURCE_NOT_FOUND otherwise. */
    StreamMeta readableMeta(String stream) {
        return readable(stream).meta();
    }

    /**
     * Where a feed starts reading shard {@code index} of the incarnation; INVALID_ARGUMENT for a sequence number
     * that is not of that shard.
     */
    Future<Long> feedPosition(StreamMeta meta, int index, FeedStart start) {
        String log = meta.logName(index);
        String shardId = ShardIds.of(index);
        try {
            return switch (start.kind()) {
                case TRIM_HORIZON -> Future.succeededFuture(0L);
                case LATEST -> store.state(log).map(LogState::nextPosition).recover(StreamsImpl::storageFailure);
                case AT_SEQUENCE_NUMBER -> Future.succeededFuture(
                        SequenceNumbers.position(start.sequenceNumber(), meta.createdMillis(), index, shardId));
                case AFTER_SEQUENCE_NUMBER -> Future.succeededFuture(
                        SequenceNumbers.position(start.sequenceNumber(), meta.createdMillis(), index, shardId) + 1);
                case AT_TIMESTAMP -> store.seek(log, start.timestampMillis()).recover(StreamsImpl::storageFailure);
            };
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
    }

    /**
     * Up to {@code limit} records of shard {@code index} from {@code position}, for a feed of incarnation
     * {@code meta}: RESOURCE_NOT_FOUND once that incarnation is deleting or gone.
     */
    Future<ShardPage> readShard(StreamMeta meta, int index, long position, int limit) {
        feedReads.increment();
        StreamState state = streams.get(meta.name());
        if (state == null || !state.meta().uid().equals(meta.uid()) || state.meta().status() == StreamStatus.DELETING) {
            return Future.failedFuture(PlatformException.notFound("Stream " + meta.name() + " under account "
                    + options.accountId() + " was deleted."));
        }
        StreamMeta current = state.meta();
        Shard shard = state.shard(index);
        return store.read(current.logName(index), position, limit, MAX_GET_BYTES)
                .map(read -> page(current, shard, index, read))
                .recover(StreamsImpl::storageFailure);
    }

    @Override
    public AppendWatch onAppend(String stream, Consumer<String> listener) {
        return appendListeners.register(stream, listener);
    }

    @Override
    public Future<List<Shard>> listShards(String stream, ShardFilter filter) {
        StreamState state;
        try {
            state = existing(stream);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        List<Shard> shards = state.meta().shards();
        if (filter == null) {
            return Future.succeededFuture(shards);
        }
        List<Shard> out = new ArrayList<>();
        for (Shard shard : shards) {
            if (passes(filter, shard)) {
                out.add(shard);
            }
        }
        return Future.succeededFuture(out);
    }

    private static boolean passes(ShardFilter filter, Shard shard) {
        // Shards of the stream's first generation count as open since the beginning of time, as in Kinesis.
        long opened = shard.parentShardId() == null ? Long.MIN_VALUE : shard.createdMillis();
        return switch (filter.type()) {
            case AFTER_SHARD_ID -> ShardIds.index(shard.shardId()) > ShardIds.index(filter.shardId());
            case AT_TRIM_HORIZON, FROM_TRIM_HORIZON -> true;
            case AT_LATEST -> shard.isOpen();
            case AT_TIMESTAMP -> opened <= filter.timestampMillis()
                    && (shard.isOpen() || shard.closedMillis() > filter.timestampMillis());
            case FROM_TIMESTAMP -> shard.isOpen() || shard.closedMillis() >= filter.timestampMillis();
        };
    }

    // ---- names -----------------------------------------------------------------------------------

    @Override
    public String arn(String stream) {
        return "arn:aws:kinesis:" + options.region() + ":" + options.accountId() + ":stream/" + stream;
    }

    @Override
    public String streamNameFromArn(String arn) {
        String prefix = "arn:aws:kinesis:" + options.region() + ":" + options.accountId() + ":stream/";
        if (arn == null || !arn.startsWith(prefix) || !NAME.matcher(arn.substring(prefix.length())).matches()) {
            throw PlatformException.invalidArgument("Invalid StreamARN '" + arn + "': expected " + prefix + "<stream name>.");
        }
        return arn.substring(prefix.length());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw PlatformException.invalidArgument("Invalid stream name '" + name
                    + "': it must match [a-zA-Z0-9_.-]+ and be 1 to 128 characters long.");
        }
    }

    private StreamState existing(String name) {
        StreamState state = name == null ? null : streams.get(name);
        if (state == null) {
            throw PlatformException.notFound("Stream " + name + " under account " + options.accountId() + " not found.");
        }
        return state;
    }

    private StreamState writable(String name) {
        StreamState state = existing(name);
        StreamStatus status = state.meta().status();
        if (status == StreamStatus.CREATING || status == StreamStatus.DELETING) {
            throw PlatformException.notFound("Stream " + name + " under account " + options.accountId()
                    + " not found (it is " + status + ").");
        }
        return state;
    }

    private StreamState readable(String name) {
        return writable(name);
    }

    private Shard shardOf(StreamState state, String shardId) {
        int index = shardId == null ? -1 : ShardIds.index(shardId);
        Shard shard = state.shard(index);
        if (shard == null) {
            throw PlatformException.notFound("Shard " + shardId + " in stream " + state.meta().name()
                    + " under account " + options.accountId() + " does not exist");
        }
        return shard;
    }

    private Future<Void> persist(StreamMeta meta) {
        return store.put(STREAMS_NS, meta.name(), encode(meta))
                .onSuccess(v -> streams.computeIfPresent(meta.name(),
                        (k, old) -> old.meta().uid().equals(meta.uid()) ? new StreamState(meta) : old))
                .recover(StreamsImpl::storageFailure);
    }

    /** A store failure as the platform's: SERVICE_UNAVAILABLE when retrying may help, else INTERNAL_FAILURE. */
    public static <T> Future<T> storageFailure(Throwable err) {
        if (err instanceof PlatformException) {
            return Future.failedFuture(err);
        }
        if (err instanceof EventStoreException e && e.retryable()) {
            return Future.failedFuture(new PlatformException(ErrorCode.SERVICE_UNAVAILABLE, e.getMessage(), e));
        }
        return Future.failedFuture(new PlatformException(ErrorCode.INTERNAL_FAILURE, "Internal service failure.", err));
    }

    private static byte[] encode(StreamMeta meta) {
        try {
            return JSON.writeValueAsBytes(meta);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static StreamMeta decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, StreamMeta.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable stream metadata", e);
        }
    }

    private static String newUid() {
        byte[] bytes = new byte[8];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
