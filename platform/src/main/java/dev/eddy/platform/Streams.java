package dev.eddy.platform;

import io.vertx.core.Future;

import java.util.List;
import java.util.function.Consumer;

/**
 * The Kinesis Data Streams semantics over the event store: stream lifecycle, routing, sequence numbers,
 * shard iterators. Every failure is a {@link PlatformException}. Thread-safe; no method blocks, so all
 * may be called from an event loop.
 */
public interface Streams {

    /** Creates the stream (CREATING, then ACTIVE). Fails RESOURCE_IN_USE if the name exists. */
    Future<Void> createStream(CreateStreamRequest request);

    /** Marks the stream DELETING and removes it and its records in the background. */
    Future<Void> deleteStream(String name, boolean enforceConsumerDeletion);

    /**
     * Lengthens how long records are kept (24 to 8,760 hours, at least the current period); records already
     * past the old period stay unreadable. INVALID_ARGUMENT otherwise, RESOURCE_NOT_FOUND unless ACTIVE.
     */
    Future<Void> increaseRetention(String stream, int hours);

    /**
     * Shortens how long records are kept (24 to 8,760 hours, at most the current period): older records become
     * unreadable at once, and the retention job frees their space. INVALID_ARGUMENT otherwise.
     */
    Future<Void> decreaseRetention(String stream, int hours);

    /**
     * Splits an open shard at {@code newStartingHashKey} (decimal, strictly inside the shard's range, above its
     * start plus one): the shard closes at its last record and two children take its two halves. Appends that
     * race the split land in the parent before its end or in a child. Fails RESOURCE_IN_USE unless the stream is
     * ACTIVE, RESOURCE_NOT_FOUND for an unknown shard, INVALID_ARGUMENT for a closed shard or a bad hash key,
     * LIMIT_EXCEEDED beyond the shard limit.
     */
    Future<Void> splitShard(String stream, String shardToSplit, String newStartingHashKey);

    /** Merges two open shards with adjacent hash-key ranges into one child; errors as {@link #splitShard}. */
    Future<Void> mergeShards(String stream, String shardToMerge, String adjacentShardToMerge);

    /**
     * Rescales to {@code target} open shards of equal hash-key ranges (UNIFORM_SCALING) through splits and merges;
     * returns the open shard count before. LIMIT_EXCEEDED beyond double or half the open shards, the shard limit,
     * or ten updates per stream in 24 hours; RESOURCE_IN_USE unless ACTIVE.
     */
    Future<Integer> updateShardCount(String stream, int target);

    /** The stream with all its shards. */
    Future<StreamDescription> describeStream(String name);

    /** Every stream, sorted by name. */
    Future<List<StreamDescription>> listStreams();

    /** Puts one record; fails the future (no partial result) when it cannot be stored. */
    Future<PutResult> putRecord(String stream, PutEntry entry);

    /**
     * Puts records; the answer has one result per entry, in order. Entries for the same shard are
     * appended as one atomic batch, so per-key order is kept. An entry that could not be stored has a
     * failure result; an invalid stream fails the whole call.
     */
    Future<List<PutResult>> putRecords(String stream, List<PutEntry> entries);

    /**
     * Appends events to one aggregate (partition key) atomically, if its current version matches
     * {@code expected}: all land on the key's shard, contiguously, or none do. Fails with
     * {@link VersionConflictException} (nothing appended) on a mismatch; an entry's own partition key and
     * explicit hash key are ignored (the aggregate's key routes them). A retry whose events all carry ids
     * already stored returns the original results, marked duplicate.
     */
    Future<AppendedEvents> appendEvents(String stream, String key, ExpectedVersion expected,
                                        List<PutEntry> events);

    /** The aggregate's events with version {@code >= fromVersion}, in order, at most {@code limit}. */
    Future<List<HistoryEvent>> readEvents(String stream, String key, long fromVersion, int limit);

    /** A new opaque, tamper-evident iterator, valid for five minutes. */
    Future<String> getShardIterator(ShardIteratorRequest request);

    /** Records at the iterator (at most {@code limit}, and at most 10 MiB), and the next iterator. */
    Future<GetRecordsResult> getRecords(String shardIterator, int limit);

    /**
     * Wakes {@code listener} with a shard id after records were appended to that shard of {@code stream}
     * (and once per shard when the stream starts deleting). A wake-up carries no records: the listener
     * reads from its own position, so it can never see a gap or a duplicate; wake-ups may be coalesced by
     * the listener. The listener runs on the appending thread and must not block: hop to your own context.
     * Registering for a stream that does not exist (yet) is allowed.
     */
    AppendWatch onAppend(String stream, Consumer<String> listener);

    /** The stream's shards that pass the filter ({@code null}: all), in shard-id order. */
    Future<List<Shard>> listShards(String stream, ShardFilter filter);

    /** The consumer groups of every stream. */
    ConsumerGroups consumerGroups();

    /** Feeds over the streams: how readers inside the server read, without shard iterators. */
    Feeds feeds();

    /** Durable key-value documents in the streams' own backend, for services beside the API. */
    KeyValueStore metadata();

    /** The enhanced fan-out consumers registered on the streams. */
    Consumers consumers();

    /** The stream's ARN. */
    String arn(String stream);

    /** The stream name inside an ARN of this server's region and account; INVALID_ARGUMENT otherwise. */
    String streamNameFromArn(String arn);
}
