package dev.eddy.platform.impl;

import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedBatch;
import dev.eddy.platform.FeedEnd;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.FeedShards;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.GroupAssignment;
import dev.eddy.platform.GroupMember;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * One open {@link Feed}: a {@link FeedShardReader} per shard it reads (for a group member, per shard the group
 * assigns it, changing with every rebalance; for a whole stream, children join once their parents are read to
 * the end), the demand they share, and the group membership. Confined to its context; only the append wake-up
 * and the group's assignments come from other threads.
 */
final class FeedImpl implements Feed {

    /** Reads again even without a wake-up, so a lost wake-up costs at most this much latency. */
    static final long FALLBACK_MILLIS = 1000;

    private final Vertx vertx;
    private final Context context;
    private final StreamsImpl streams;
    private final ShardTails tails;
    private final FeedRequest request;
    private final FeedHandler handler;
    private final StreamMeta meta;
    private final Map<String, FeedShardReader> readers = new TreeMap<>();
    /** The readers again, for the append listener (any thread). */
    private final Map<String, FeedShardReader> wakeable = new ConcurrentHashMap<>();
    /** Shards of a whole-stream feed read to their end: their children may start. */
    private final Set<String> ended = new HashSet<>();
    private AppendWatch watch;
    private GroupMember member;
    private long generation = -1;
    private long fallbackTimer = -1;
    private long demand;
    private boolean paused;
    private boolean closed;

    private FeedImpl(Vertx vertx, Context context, StreamsImpl streams, ShardTails tails, FeedRequest request,
                     FeedHandler handler, StreamMeta meta) {
        this.vertx = vertx;
        this.context = context;
        this.streams = streams;
        this.tails = tails;
        this.request = request;
        this.handler = handler;
        this.meta = meta;
    }

    /** Opens a feed on {@code context}; see {@link dev.eddy.platform.Feeds#open}. */
    static Future<Feed> open(Vertx vertx, Context context, StreamsImpl streams, ShardTails tails,
                             FeedRequest request, FeedHandler handler) {
        Promise<Feed> opened = Promise.promise();
        context.runOnContext(v -> {
            StreamMeta meta;
            try {
                meta = streams.readableMeta(request.stream());
            } catch (PlatformException e) {
                opened.fail(e);
                return;
            }
            FeedImpl feed = new FeedImpl(vertx, context, streams, tails, request, handler, meta);
            (request.group() != null ? feed.join() : feed.position()).onComplete(opened);
        });
        return opened.future();
    }

    // ---- opening ---------------------------------------------------------------------------------

    /** Positions the readers of a feed without a group, then names its shards. */
    private Future<Feed> position() {
        List<Shard> shards;
        try {
            shards = initialShards();
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        FeedStart start = request.start();
        List<Future<Long>> positions = new ArrayList<>();
        for (Shard shard : shards) {
            positions.add(streams.feedPosition(meta, ShardIds.index(shard.shardId()), start));
        }
        return Future.join(positions).transform(all -> {
            List<Long> at = new ArrayList<>();
            boolean owned = false;
            for (Future<Long> p : positions) {
                if (p.succeeded()) {
                    at.add(p.result());
                    owned = true;
                } else if (start.sequenceNumber() != null && p.cause() instanceof PlatformException e
                        && e.code() == ErrorCode.INVALID_ARGUMENT) {
                    at.add(0L); // the number names another shard: this one starts at its oldest record
                } else {
                    return Future.failedFuture(p.cause());
                }
            }
            if (start.sequenceNumber() != null && !owned) {
                return Future.failedFuture(PlatformException.invalidArgument("Sequence number "
                        + start.sequenceNumber() + " is not of a shard of stream " + meta.name() + " that is read."));
            }
            return Future.succeededFuture(at);
        }).compose(at -> {
            Promise<Feed> ready = Promise.promise();
            onContext(() -> {
                for (int i = 0; i < shards.size(); i++) {
                    add(ShardIds.index(shards.get(i).shardId()), start, false, at.get(i));
                }
                begin();
                handler.shards(new FeedShards(meta.name(), List.copyOf(readers.keySet()), null));
                ready.complete(this);
            });
            return ready.future();
        });
    }

    /** The shards a feed without a group starts with. */
    private List<Shard> initialShards() {
        List<Shard> all = meta.shards();
        if (request.shardIds() != null) {
            List<Shard> chosen = new ArrayList<>();
            for (String id : request.shardIds()) {
                int index = id == null ? -1 : ShardIds.index(id);
                if (index < 0 || index >= all.size()) {
                    throw PlatformException.notFound("Shard " + id + " in stream " + meta.name() + " does not exist.");
                }
                chosen.add(all.get(index));
            }
            return chosen;
        }
        if (request.start().kind() == FeedStart.Kind.LATEST) {
            return all.stream().filter(Shard::isOpen).toList();
        }
        // Parents before children: start with the shards whose parents are no longer kept.
        Set<String> ids = new HashSet<>();
        all.forEach(s -> ids.add(s.shardId()));
        return all.stream().filter(s -> !ids.contains(s.parentShardId()) && !ids.contains(s.adjacentParentShardId()))
                .toList();
    }

    /** Joins the group; every assignment (the first one included) arrives through {@link #assign}. */
    private Future<Feed> join() {
        return streams.consumerGroups().join(meta.name(), request.group(), a -> context.runOnContext(v -> assign(a)))
                .compose(joined -> {
                    Promise<Feed> ready = Promise.promise();
                    onContext(() -> {
                        member = joined;
                        begin();
                        ready.complete(this);
                    });
                    return ready.future();
                });
    }

    private void begin() {
        watch = streams.onAppend(meta.name(), this::wake);
        fallbackTimer = vertx.setPeriodic(FALLBACK_MILLIS, id -> pumpAll());
    }

    /**
     * Applies a rebalance: readers of shards taken away stop (a read in flight is dropped), shards given resume
     * after the group's checkpoint, or at the feed's start when there is none. The shards are named before any
     * record of a new one.
     */
    private void assign(GroupAssignment assignment) {
        if (closed || assignment.generation() <= generation) {
            return;
        }
        generation = assignment.generation();
        for (var it = readers.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!assignment.shardIds().contains(entry.getKey())) {
                entry.getValue().stop();
                wakeable.remove(entry.getKey());
                it.remove();
            }
        }
        handler.shards(new FeedShards(meta.name(), assignment.shardIds(), assignment));
        for (String shardId : assignment.shardIds()) {
            if (readers.containsKey(shardId)) {
                continue;
            }
            String checkpoint = assignment.checkpoints().get(shardId);
            // A child is dealt once the group finished its parents: all of it is new to the group.
            FeedStart start = checkpoint != null ? FeedStart.afterSequenceNumber(checkpoint)
                    : hasParent(shardId) ? FeedStart.trimHorizon() : request.start();
            // A sequence number names one shard; the others start at their oldest record, as without a group.
            add(ShardIds.index(shardId), start, checkpoint == null && start.sequenceNumber() != null, -1).pump();
        }
    }

    private boolean hasParent(String shardId) {
        try {
            StreamMeta now = streams.readableMeta(meta.name());
            int index = ShardIds.index(shardId);
            return index >= 0 && index < now.shards().size() && now.shards().get(index).parentShardId() != null;
        } catch (PlatformException e) {
            return false;
        }
    }

    private FeedShardReader add(int index, FeedStart start, boolean trimHorizonIfNotOwned, long position) {
        FeedShardReader reader = new FeedShardReader(this, streams, tails, meta, index, start, trimHorizonIfNotOwned,
                position);
        readers.put(reader.shardId(), reader);
        wakeable.put(reader.shardId(), reader);
        return reader;
    }

    // ---- Feed ------------------------------------------------------------------------------------

    @Override
    public void request(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("demand must be positive, got " + n);
        }
        onContext(() -> {
            if (n == UNBOUNDED || demand == UNBOUNDED) {
                demand = UNBOUNDED;
            } else {
                demand = UNBOUNDED - 1 - demand < n ? UNBOUNDED - 1 : demand + n; // bounded demand stays bounded
            }
            pumpAll();
        });
    }

    @Override
    public void cancelDemand() {
        onContext(() -> demand = 0);
    }

    @Override
    public long demand() {
        return demand;
    }

    @Override
    public void pause() {
        onContext(() -> paused = true);
    }

    @Override
    public void resume() {
        onContext(() -> {
            if (paused) {
                paused = false;
                pumpAll();
            }
        });
    }

    @Override
    public Future<Void> checkpoint(String shardId, String sequenceNumber) {
        if (member == null) {
            return Future.failedFuture(PlatformException.invalidArgument(
                    "Checkpoints are kept per consumer group: this feed reads without one."));
        }
        return member.checkpoint(shardId, sequenceNumber);
    }

    @Override
    public Map<String, Long> millisBehindLatest() {
        Map<String, Long> behind = new LinkedHashMap<>();
        for (FeedShardReader reader : readers.values()) {
            behind.put(reader.shardId(), reader.millisBehindLatest());
        }
        return behind;
    }

    @Override
    public String resumeAfter(String shardId) {
        FeedShardReader reader = readers.get(shardId);
        return reader == null ? null : reader.resumeAfter();
    }

    @Override
    public void close() {
        onContext(this::stop);
    }

    private void stop() {
        if (closed) {
            return;
        }
        closed = true;
        if (watch != null) {
            watch.cancel();
        }
        vertx.cancelTimer(fallbackTimer);
        for (FeedShardReader reader : readers.values()) {
            reader.stop();
        }
        if (member != null) {
            member.leave();
        }
    }

    // ---- for the readers (on the context) --------------------------------------------------------

    Context context() {
        return context;
    }

    boolean isClosed() {
        return closed;
    }

    boolean isPaused() {
        return paused;
    }

    Predicate<String> keyFilter() {
        return request.keyFilter();
    }

    /** How many records one read may ask for: at most a fair share of the demand among the active readers. */
    int share(int page) {
        if (demand == UNBOUNDED) {
            return page;
        }
        long active = readers.values().stream().filter(FeedShardReader::active).count();
        long share = (demand + active - 1) / Math.max(1, active);
        return (int) Math.max(1, Math.min(page, share));
    }

    /** Takes up to {@code n} records of demand; returns how many. */
    long take(long n) {
        if (demand == UNBOUNDED) {
            return n;
        }
        long granted = Math.min(n, demand);
        demand -= granted;
        return granted;
    }

    void emit(String shardId, List<Record> records, long millisBehindLatest) {
        handler.records(new FeedBatch(meta.name(), shardId, records, millisBehindLatest));
    }

    /**
     * A closed shard was read to its end. A whole-stream feed goes on with each child whose parents have all
     * ended (from the child's oldest record); a feed of chosen shards or of a group only reports it.
     */
    void shardEnded(FeedShardReader reader, List<ChildShard> children) {
        handler.shardEnded(reader.shardId(), children);
        if (!closed && member != null && reader.deliveredNothing()) {
            // Nothing past the group's checkpoint was left in it: the group may deal its children now. (With
            // records delivered, the consumer's checkpoint of the last one finishes it.)
            streams.groups().drained(member, reader.shardId());
        }
        if (closed || request.shardIds() != null || request.group() != null) {
            return;
        }
        readers.remove(reader.shardId());
        wakeable.remove(reader.shardId());
        ended.add(reader.shardId());
        List<FeedShardReader> started = new ArrayList<>();
        for (ChildShard child : children) {
            if (!readers.containsKey(child.shardId()) && !ended.contains(child.shardId())
                    && ended.containsAll(child.parentShards())) {
                FeedStart start = request.start().kind() == FeedStart.Kind.AT_TIMESTAMP ? request.start()
                        : FeedStart.trimHorizon();
                started.add(add(ShardIds.index(child.shardId()), start, false, -1));
            }
        }
        handler.shards(new FeedShards(meta.name(), List.copyOf(readers.keySet()), null));
        started.forEach(FeedShardReader::pump);
    }

    void retrying(String shardId, PlatformException cause) {
        if (!closed) {
            handler.retrying(shardId, cause);
        }
    }

    void streamDeleted() {
        if (!closed) {
            stop();
            handler.ended(new FeedEnd(FeedEnd.Reason.STREAM_DELETED, null, null));
        }
    }

    void fail(String shardId, Throwable err) {
        if (!closed) {
            stop();
            handler.ended(new FeedEnd(FeedEnd.Reason.FAILED, shardId, err));
        }
    }

    /** Runs {@code task} on the feed's context: now if already there. */
    void onContext(Runnable task) {
        if (Context.isOnVertxThread() && Vertx.currentContext() == context) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    /** Runs {@code task} on the feed's context after what it is doing now. */
    void later(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    // ---- wake-ups --------------------------------------------------------------------------------

    /** From any thread: at most one queued wake-up per shard, and none for a reader the shard's tail feeds. */
    private void wake(String shardId) {
        FeedShardReader reader = wakeable.get(shardId);
        if (reader != null && reader.wantsWakeups() && reader.wakeQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                reader.wakeQueued.set(false);
                if (readers.get(shardId) == reader && !closed) {
                    reader.pump();
                }
            });
        }
    }

    private void pumpAll() {
        if (closed) {
            return;
        }
        for (FeedShardReader reader : new ArrayList<>(readers.values())) {
            reader.pump();
        }
    }
}
