package dev.eddy.platform.impl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.EventStoreException;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.AppendedEvents;
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
import dev.eddy.platform.KeyValueStore;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardFilter;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamDescription;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.StreamStatus;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@link Streams} over an {@link EventStore}: one log per shard, named {@code <stream uid>/<shard index>}.
 * Stream metadata lives in the store (namespace {@code streams}) and in an in-memory map of immutable
 * snapshots. This class keeps that registry and the streams' lifecycle and delegates the rest: writes to
 * {@link Appends}, reads to {@link ShardReads}, resharding to {@link Resharding}, retention to {@link Retention}.
 * Thread-safe: callers may be on any event loop.
 */
public final class StreamsImpl implements Streams {

    static final String STREAMS_NS = "streams";
    private static final String PLATFORM_NS = "platform";
    private static final String ITERATOR_KEY = "iterator-key";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final int ON_DEMAND_SHARDS = 4;
    private static final int DEFAULT_RETENTION_HOURS = 24;
    private static final long STORED_RECORDS_REFRESH_MILLIS = 5000;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Vertx vertx;
    private final EventStore store;
    private final PlatformOptions options;
    private final ConcurrentMap<String, StreamState> streams = new ConcurrentHashMap<>();
    private final AppendListeners appendListeners = new AppendListeners();
    private final ConsumerGroupsImpl groups;
    private final ConsumersImpl consumers;
    private final FeedsImpl feeds;
    private final Resharding resharding;
    private final Retention retention;
    private final Appends appends;
    private final ShardReads reads;
    private final KeyValueStore metadata;
    /** Appends in flight per shard and the reshard gates, per stream incarnation (uid). */
    private final ConcurrentMap<String, ShardGates> gates = new ConcurrentHashMap<>();
    private final StreamMetrics metrics;
    /** Records stored per stream (by name), refreshed every few seconds for the stored-records gauge. */
    private final ConcurrentMap<String, AtomicLong> storedRecords = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> storedBytes = new ConcurrentHashMap<>();

    private StreamsImpl(Vertx vertx, EventStore store, PlatformOptions options, byte[] iteratorKey,
                        StreamMetrics metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.store = store;
        this.options = options;
        this.groups = new ConsumerGroupsImpl(store, name -> readable(name).meta());
        this.feeds = new FeedsImpl(vertx, this);
        this.consumers = new ConsumersImpl(vertx, this, store, options);
        this.resharding = new Resharding(vertx, this, options);
        this.retention = new Retention(vertx, this, store, options);
        this.metadata = new ExternalMetadata(store);
        this.appends = new Appends(this, store, options, metrics, appendListeners);
        this.reads = new ShardReads(this, store, options,
                new ShardIterators(iteratorKey, options.clock(), options.iteratorTtl()));
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
    public KeyValueStore metadata() {
        return metadata;
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

    // ---- writes (Appends does the work) ----------------------------------------------------------

    @Override
    public Future<PutResult> putRecord(String stream, PutEntry entry) {
        return appends.putRecord(stream, entry);
    }

    @Override
    public Future<List<PutResult>> putRecords(String stream, List<PutEntry> entries) {
        return appends.putRecords(stream, entries);
    }

    @Override
    public Future<AppendedEvents> appendEvents(String stream, String key, ExpectedVersion expected,
                                               List<PutEntry> events) {
        return appends.appendEvents(stream, key, expected, events);
    }

    // ---- reads (ShardReads does the work) ----------------------------------------------------------

    @Override
    public Future<List<HistoryEvent>> readEvents(String stream, String key, long fromVersion, int limit) {
        return reads.readEvents(stream, key, fromVersion, limit);
    }

    @Override
    public Future<String> getShardIterator(ShardIteratorRequest request) {
        return reads.getShardIterator(request);
    }

    @Override
    public Future<GetRecordsResult> getRecords(String shardIterator, int limit) {
        return reads.getRecords(shardIterator, limit);
    }

    @Override
    public Future<List<Shard>> listShards(String stream, ShardFilter filter) {
        return reads.listShards(stream, filter);
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
        return reads.feedReads();
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

    // ---- feeds (FeedsImpl reads by position, without iterators; ShardReads does the work) ----------

    /** The stream's incarnation if it can be read now; RESOURCE_NOT_FOUND otherwise. */
    StreamMeta readableMeta(String stream) {
        return readable(stream).meta();
    }

    /**
     * Where a feed starts reading shard {@code index} of the incarnation; INVALID_ARGUMENT for a sequence number
     * that is not of that shard.
     */
    Future<Long> feedPosition(StreamMeta meta, int index, FeedStart start) {
        return reads.feedPosition(meta, index, start);
    }

    /**
     * Up to {@code limit} records of shard {@code index} from {@code position}, for a feed of incarnation
     * {@code meta}: RESOURCE_NOT_FOUND once that incarnation is deleting or gone.
     */
    Future<ShardPage> readShard(StreamMeta meta, int index, long position, int limit) {
        return reads.readShard(meta, index, position, limit);
    }

    @Override
    public AppendWatch onAppend(String stream, Consumer<String> listener) {
        return appendListeners.register(stream, listener);
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

    /** The stream's current state, or {@code null}: no status check (for readers that check the incarnation). */
    StreamState state(String name) {
        return streams.get(name);
    }

    /** The stream's current state in any status; RESOURCE_NOT_FOUND if there is none. */
    StreamState existing(String name) {
        StreamState state = name == null ? null : streams.get(name);
        if (state == null) {
            throw PlatformException.notFound("Stream " + name + " under account " + options.accountId() + " not found.");
        }
        return state;
    }

    /** The stream's current state if it can be written now (ACTIVE or UPDATING); RESOURCE_NOT_FOUND otherwise. */
    StreamState writable(String name) {
        StreamState state = existing(name);
        StreamStatus status = state.meta().status();
        if (status == StreamStatus.CREATING || status == StreamStatus.DELETING) {
            throw PlatformException.notFound("Stream " + name + " under account " + options.accountId()
                    + " not found (it is " + status + ").");
        }
        return state;
    }

    /** The stream's current state if it can be read now; RESOURCE_NOT_FOUND otherwise. */
    StreamState readable(String name) {
        return writable(name);
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
