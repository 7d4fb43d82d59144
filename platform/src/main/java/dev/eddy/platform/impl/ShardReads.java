package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.HistoryEvent;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardFilter;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamStatus;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The reads of {@link StreamsImpl}: shard iterators and GetRecords, keyed event histories (through the shards a
 * key lived in), the position reads of feeds, and ListShards. Hides records past retention and ends a closed
 * shard at its ending sequence number, pointing at its children. Thread-safe: callers may be on any event loop;
 * its only state is the feeds' read counter (a {@link LongAdder}).
 */
final class ShardReads {

    private static final long MAX_GET_BYTES = 10L * 1024 * 1024;

    private final StreamsImpl streams;
    private final EventStore store;
    private final PlatformOptions options;
    private final ShardIterators iterators;
    /** Storage reads made for feeds (catching up and the shared tails): feeds that follow a shard share them. */
    private final LongAdder feedReads = new LongAdder();

    ShardReads(StreamsImpl streams, EventStore store, PlatformOptions options, ShardIterators iterators) {
        this.streams = streams;
        this.store = store;
        this.options = options;
        this.iterators = iterators;
    }

    // ---- shard iterators and GetRecords ----------------------------------------------------------

    Future<String> getShardIterator(ShardIteratorRequest request) {
        StreamState state;
        Shard shard;
        try {
            state = streams.readable(request.stream());
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
                        SequenceNumbers.positionToReadAfter(required(request.sequenceNumber(), "StartingSequenceNumber",
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

    Future<GetRecordsResult> getRecords(String shardIterator, int limit) {
        ShardIterators.Position at;
        StreamState state;
        Shard shard;
        try {
            at = iterators.open(shardIterator);
            state = streams.state(at.stream());
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

    private Shard shardOf(StreamState state, String shardId) {
        int index = shardId == null ? -1 : ShardIds.index(shardId);
        Shard shard = state.shard(index);
        if (shard == null) {
            throw PlatformException.notFound("Shard " + shardId + " in stream " + state.meta().name()
                    + " under account " + options.accountId() + " does not exist");
        }
        return shard;
    }

    // ---- keyed event histories -------------------------------------------------------------------

    Future<List<HistoryEvent>> readEvents(String stream, String key, long fromVersion, int limit) {
        StreamState state;
        int shardIndex;
        try {
            state = streams.readable(stream);
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

    // ---- feeds (read by position, without iterators) ---------------------------------------------

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
                        SequenceNumbers.positionToReadAfter(start.sequenceNumber(), meta.createdMillis(), index, shardId)
                                + 1);
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
        StreamState state = streams.state(meta.name());
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

    /** How many storage reads feeds have made so far. */
    long feedReads() {
        return feedReads.sum();
    }

    // ---- ListShards ------------------------------------------------------------------------------

    Future<List<Shard>> listShards(String stream, ShardFilter filter) {
        StreamState state;
        try {
            state = streams.existing(stream);
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
}
