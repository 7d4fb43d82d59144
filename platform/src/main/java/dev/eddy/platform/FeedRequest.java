package dev.eddy.platform;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a {@link Feed} reads. Immutable.
 *
 * @param stream    the stream
 * @param shardIds  the shards to read (each from {@code start}), or {@code null} for the whole stream: every
 *                  shard, parents before their children ({@link FeedStart.Kind#LATEST}: the open shards)
 * @param start     where each shard starts; in a group, where a shard without a checkpoint starts
 * @param group     a consumer group to read within (its members share the shards; a shard with a checkpoint
 *                  resumes after it), or {@code null}; a group feed reads the shards the group assigns it,
 *                  so {@code shardIds} must be {@code null}
 * @param keyFilter which partition keys to deliver ({@code null}: all); the others are skipped, and count
 *                  neither as delivered nor against the demand
 */
public record FeedRequest(String stream, List<String> shardIds, FeedStart start, String group,
                          Predicate<String> keyFilter) {

    public FeedRequest {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(start, "start");
        shardIds = shardIds == null ? null : List.copyOf(shardIds);
        if (group != null && shardIds != null) {
            throw new IllegalArgumentException("a group feed reads the shards its group assigns it");
        }
    }

    /** The whole stream from {@code start}, every key, no group. */
    public static FeedRequest of(String stream, FeedStart start) {
        return new FeedRequest(stream, null, start, null, null);
    }
}
