package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.util.stream.Collectors;

/**
 * {@code GET /v1/streams/{stream}/records}: reads one shard by position, a page at a time. The answer's
 * {@code next} is an opaque cursor (a Kinesis shard iterator, valid five minutes) to pass as
 * {@code cursor} for the next page; it is {@code null} once a closed shard is read to its end.
 * Thread-safe; never blocks.
 */
final class RecordResources {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;

    private final Streams streams;
    private final StreamMetrics metrics;

    RecordResources(Streams streams, StreamMetrics metrics) {
        this.streams = streams;
        this.metrics = metrics;
    }

    /**
     * A page of records: from {@code cursor} when given, else from {@code from} in {@code shard} (which may
     * be left out when the stream has one shard).
     */
    Future<Answer> read(String stream, String shard, String from, String cursor, int limit) {
        Future<String> iterator;
        if (cursor != null && !cursor.isEmpty()) {
            iterator = Future.succeededFuture(cursor);
        } else {
            ShardIteratorRequest at = ReadPosition.parse(stream, shard, from); // a bad from fails before any read
            iterator = shardOrOnly(stream, shard).compose(shardId -> streams.getShardIterator(
                    new ShardIteratorRequest(stream, shardId, at.type(), at.sequenceNumber(), at.timestampMillis())));
        }
        return iterator.compose(it -> streams.getRecords(it, limit)).map(result -> {
            metrics.delivered(result, "get_records");
            ObjectNode out = RestJson.object();
            ArrayNode records = out.putArray("records");
            for (Record r : result.records()) {
                records.add(EventJson.shardRecord(r));
            }
            out.put("next", result.nextShardIterator());
            out.put("millisBehindLatest", result.millisBehindLatest());
            return Answer.ok(out);
        });
    }

    private Future<String> shardOrOnly(String stream, String shard) {
        if (shard != null && !shard.isEmpty()) {
            return Future.succeededFuture(shard);
        }
        return streams.describeStream(stream).map(d -> {
            if (d.shards().size() != 1) {
                throw new Problem(ProblemType.INVALID_ARGUMENT, "Query parameter shard is required: stream " + stream
                        + " has " + d.shards().size() + " shards ("
                        + d.shards().stream().map(Shard::shardId).collect(Collectors.joining(", ")) + ").")
                        .with("parameter", "shard");
            }
            return d.shards().get(0).shardId();
        });
    }
}
