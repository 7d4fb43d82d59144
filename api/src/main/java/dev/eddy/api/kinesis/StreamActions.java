package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardFilter;
import dev.eddy.platform.StreamDescription;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The stream-level Kinesis actions: CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary,
 * ListStreams, ListShards, Increase/DecreaseStreamRetentionPeriod, SplitShard, MergeShards, UpdateShardCount. Each validates at the edge, then calls the platform. Thread-safe (stateless
 * apart from the thread-safe {@link Streams}).
 */
final class StreamActions {

    /** The API's pattern for a hash key: a decimal number without leading zeros. */
    private static final Pattern HASH_KEY = Pattern.compile("0|([1-9]\\d{0,38})");

    private final Streams streams;
    private final Clock clock;

    StreamActions(Streams streams, Clock clock) {
        this.streams = streams;
        this.clock = clock;
    }

    Future<ObjectNode> createStream(Params p) {
        String name = p.string("StreamName");
        Integer shardCount = p.integer("ShardCount");
        Params modeDetails = p.object("StreamModeDetails");
        String mode = modeDetails == null ? null : modeDetails.string("StreamMode");
        Integer warm = p.integer("WarmThroughputMiBps");
        Integer maxRecordKiB = p.integer("MaxRecordSizeInKiB");
        Validator v = new Validator()
                .required("streamName", name).streamName("streamName", name)
                .range("shardCount", shardCount, 1, Integer.MAX_VALUE);
        if (modeDetails != null) {
            v.required("streamModeDetails.streamMode", mode)
                    .oneOf("streamModeDetails.streamMode", mode, StreamMode.class);
        }
        Map<String, String> tagMap = TagParams.parse(p, "Tags", 200, v);
        v.range("warmThroughputMiBps", warm, 0, Integer.MAX_VALUE)
                .range("maxRecordSizeInKiB", maxRecordKiB, 1024, 10240)
                .check();
        StreamMode streamMode = mode != null ? StreamMode.valueOf(mode)
                : shardCount == null ? StreamMode.ON_DEMAND : StreamMode.PROVISIONED;
        if (streamMode == StreamMode.PROVISIONED && shardCount == null) {
            throw KinesisException.invalidArgument("ShardCount is required for a stream in PROVISIONED mode.");
        }
        if (streamMode == StreamMode.ON_DEMAND && shardCount != null) {
            throw KinesisException.invalidArgument("ShardCount must not be given for a stream in ON_DEMAND mode.");
        }
        if (maxRecordKiB != null && maxRecordKiB != 1024) {
            throw KinesisException.invalidArgument("MaxRecordSizeInKiB other than 1024 is not supported yet; was "
                    + maxRecordKiB + ".");
        }
        return streams.createStream(new CreateStreamRequest(name, shardCount, streamMode, tagMap))
                .map(nothing -> Shapes.object());
    }

    Future<ObjectNode> deleteStream(Params p) {
        Boolean enforce = p.bool("EnforceConsumerDeletion");
        String name = StreamRef.resolve(p, streams, new Validator());
        return streams.deleteStream(name, enforce != null && enforce).map(nothing -> Shapes.object());
    }

    Future<ObjectNode> increaseStreamRetentionPeriod(Params p) {
        Integer hours = p.integer("RetentionPeriodHours");
        String name = StreamRef.resolve(p, streams, new Validator().required("retentionPeriodHours", hours)
                .range("retentionPeriodHours", hours, 1, Integer.MAX_VALUE));
        return streams.increaseRetention(name, hours).map(nothing -> Shapes.object());
    }

    Future<ObjectNode> decreaseStreamRetentionPeriod(Params p) {
        Integer hours = p.integer("RetentionPeriodHours");
        String name = StreamRef.resolve(p, streams, new Validator().required("retentionPeriodHours", hours)
                .range("retentionPeriodHours", hours, 1, Integer.MAX_VALUE));
        return streams.decreaseRetention(name, hours).map(nothing -> Shapes.object());
    }

    Future<ObjectNode> splitShard(Params p) {
        String shard = p.string("ShardToSplit");
        String key = p.string("NewStartingHashKey");
        String name = StreamRef.resolve(p, streams, new Validator()
                .required("shardToSplit", shard).shardId("shardToSplit", shard)
                .required("newStartingHashKey", key).pattern("newStartingHashKey", key, HASH_KEY));
        return streams.splitShard(name, shard, key).map(nothing -> Shapes.object());
    }

    Future<ObjectNode> mergeShards(Params p) {
        String shard = p.string("ShardToMerge");
        String adjacent = p.string("AdjacentShardToMerge");
        String name = StreamRef.resolve(p, streams, new Validator()
                .required("shardToMerge", shard).shardId("shardToMerge", shard)
                .required("adjacentShardToMerge", adjacent).shardId("adjacentShardToMerge", adjacent));
        return streams.mergeShards(name, shard, adjacent).map(nothing -> Shapes.object());
    }

    Future<ObjectNode> updateShardCount(Params p) {
        Integer target = p.integer("TargetShardCount");
        String scaling = p.string("ScalingType");
        String name = StreamRef.resolve(p, streams, new Validator()
                .required("targetShardCount", target).range("targetShardCount", target, 1, Integer.MAX_VALUE)
                .required("scalingType", scaling).oneOf("scalingType", scaling, ScalingType.class));
        return streams.updateShardCount(name, target).map(before -> {
            ObjectNode out = Shapes.object();
            out.put("StreamName", name);
            out.put("CurrentShardCount", before);
            out.put("TargetShardCount", target);
            out.put("StreamARN", streams.arn(name));
            return out;
        });
    }

    /** UpdateShardCount's scaling types (Kinesis has one). */
    private enum ScalingType { UNIFORM_SCALING }

    Future<ObjectNode> describeStream(Params p) {
        Integer limit = p.integer("Limit");
        String exclusiveStart = p.string("ExclusiveStartShardId");
        Validator v = new Validator().range("limit", limit, 1, 10000).shardId("exclusiveStartShardId", exclusiveStart);
        String name = StreamRef.resolve(p, streams, v);
        int max = limit == null ? 100 : limit;
        return streams.describeStream(name).map(stream -> {
            ObjectNode out = Shapes.object();
            ObjectNode d = out.putObject("StreamDescription");
            d.put("StreamName", stream.name());
            d.put("StreamARN", stream.arn());
            d.put("StreamStatus", stream.status().name());
            d.set("StreamModeDetails", Shapes.streamModeDetails(stream));
            ArrayNode shards = d.putArray("Shards");
            int count = 0;
            boolean more = false;
            for (Shard shard : stream.shards()) {
                if (exclusiveStart != null && shard.shardId().compareTo(exclusiveStart) <= 0) {
                    continue;
                }
                if (count == max) {
                    more = true;
                    break;
                }
                shards.add(Shapes.shard(shard));
                count++;
            }
            d.put("HasMoreShards", more);
            d.put("RetentionPeriodHours", stream.retentionHours());
            Shapes.timestamp(d, "StreamCreationTimestamp", stream.createdMillis());
            d.set("EnhancedMonitoring", Shapes.enhancedMonitoring());
            d.put("EncryptionType", "NONE");
            return out;
        });
    }

    Future<ObjectNode> describeStreamSummary(Params p) {
        String name = StreamRef.resolve(p, streams, new Validator());
        return streams.describeStream(name).map(stream -> {
            ObjectNode out = Shapes.object();
            ObjectNode d = out.putObject("StreamDescriptionSummary");
            d.put("StreamName", stream.name());
            d.put("StreamARN", stream.arn());
            d.put("StreamStatus", stream.status().name());
            d.set("StreamModeDetails", Shapes.streamModeDetails(stream));
            d.put("RetentionPeriodHours", stream.retentionHours());
            Shapes.timestamp(d, "StreamCreationTimestamp", stream.createdMillis());
            d.set("EnhancedMonitoring", Shapes.enhancedMonitoring());
            d.put("EncryptionType", "NONE");
            d.put("OpenShardCount", stream.openShardCount());
            d.put("ConsumerCount", stream.consumerCount());
            return out;
        });
    }

    Future<ObjectNode> listStreams(Params p) {
        Integer limit = p.integer("Limit");
        String exclusiveStart = p.string("ExclusiveStartStreamName");
        String nextToken = p.string("NextToken");
        new Validator().range("limit", limit, 1, 10000)
                .streamName("exclusiveStartStreamName", exclusiveStart)
                .length("nextToken", nextToken, 1, 1048576)
                .check();
        String after = exclusiveStart;
        if (nextToken != null) {
            after = PageToken.decode(nextToken, "streams", clock.millis()).after();
        }
        int max = limit == null ? 100 : limit;
        String start = after;
        return streams.listStreams().map(all -> {
            ObjectNode out = Shapes.object();
            ArrayNode names = out.putArray("StreamNames");
            ArrayNode summaries = out.putArray("StreamSummaries");
            String last = null;
            boolean more = false;
            for (StreamDescription stream : all) {
                if (start != null && stream.name().compareTo(start) <= 0) {
                    continue;
                }
                if (names.size() == max) {
                    more = true;
                    break;
                }
                names.add(stream.name());
                ObjectNode summary = summaries.addObject();
                summary.put("StreamName", stream.name());
                summary.put("StreamARN", stream.arn());
                summary.put("StreamStatus", stream.status().name());
                summary.set("StreamModeDetails", Shapes.streamModeDetails(stream));
                Shapes.timestamp(summary, "StreamCreationTimestamp", stream.createdMillis());
                last = stream.name();
            }
            out.put("HasMoreStreams", more);
            if (more) {
                out.put("NextToken", new PageToken("streams", "", last, "", "", -1, clock.millis()).encode());
            }
            return out;
        });
    }

    Future<ObjectNode> listShards(Params p) {
        String nextToken = p.string("NextToken");
        String exclusiveStart = p.string("ExclusiveStartShardId");
        Integer maxResults = p.integer("MaxResults");
        Long creation = p.timestampMillis("StreamCreationTimestamp");
        Params filterParams = p.object("ShardFilter");
        String filterType = filterParams == null ? null : filterParams.string("Type");
        String filterShardId = filterParams == null ? null : filterParams.string("ShardId");
        Long filterTimestamp = filterParams == null ? null : filterParams.timestampMillis("Timestamp");
        Validator v = new Validator()
                .length("nextToken", nextToken, 1, 1048576)
                .shardId("exclusiveStartShardId", exclusiveStart)
                .range("maxResults", maxResults, 1, 10000);
        if (filterParams != null) {
            v.required("shardFilter.type", filterType)
                    .oneOf("shardFilter.type", filterType, ShardFilter.Type.class)
                    .shardId("shardFilter.shardId", filterShardId);
        }
        int max = maxResults == null ? 10000 : maxResults;
        String name;
        String after;
        ShardFilter filter;
        if (nextToken != null) {
            StreamRef.validateOnly(p, v);
            v.check();
            if (p.has("StreamName") || p.has("StreamARN")) {
                throw KinesisException.invalidArgument("NextToken and StreamName cannot be provided together.");
            }
            if (exclusiveStart != null) {
                throw KinesisException.invalidArgument("NextToken and ExclusiveStartShardId cannot be provided together.");
            }
            if (creation != null) {
                throw KinesisException.invalidArgument(
                        "NextToken and StreamCreationTimestamp cannot be provided together.");
            }
            PageToken token = PageToken.decode(nextToken, "shards", clock.millis());
            name = token.stream();
            after = token.after();
            filter = token.filter().isEmpty() ? null : new ShardFilter(ShardFilter.Type.valueOf(token.filter()),
                    token.filterShardId().isEmpty() ? null : token.filterShardId(),
                    token.filterTimestamp() < 0 ? null : token.filterTimestamp());
        } else {
            if (!p.has("StreamName") && !p.has("StreamARN")) {
                StreamRef.validateOnly(p, v);
                v.check();
                throw KinesisException.invalidArgument("Either NextToken or StreamName should be provided.");
            }
            name = StreamRef.resolve(p, streams, v);
            after = exclusiveStart;
            filter = filterType == null ? null : shardFilter(ShardFilter.Type.valueOf(filterType), filterShardId,
                    filterTimestamp);
        }
        String stream = name;
        Future<Void> creationCheck = creation == null ? Future.succeededFuture()
                : streams.describeStream(stream).compose(d -> d.createdMillis() == creation ? Future.succeededFuture()
                : Future.failedFuture(KinesisException.resourceNotFound("Stream " + stream + " with creation timestamp "
                + creation + " not found.")));
        return creationCheck.compose(ok -> streams.listShards(stream, filter)).map(shards -> {
            ObjectNode out = Shapes.object();
            ArrayNode list = out.putArray("Shards");
            List<Shard> page = new ArrayList<>();
            boolean more = false;
            for (Shard shard : shards) {
                if (after != null && shard.shardId().compareTo(after) <= 0) {
                    continue;
                }
                if (page.size() == max) {
                    more = true;
                    break;
                }
                page.add(shard);
                list.add(Shapes.shard(shard));
            }
            if (more) {
                out.put("NextToken", new PageToken("shards", stream, page.get(page.size() - 1).shardId(),
                        filter == null ? "" : filter.type().name(),
                        filter == null || filter.shardId() == null ? "" : filter.shardId(),
                        filter == null || filter.timestampMillis() == null ? -1 : filter.timestampMillis(),
                        clock.millis()).encode());
            }
            return out;
        });
    }

    private static ShardFilter shardFilter(ShardFilter.Type type, String shardId, Long timestamp) {
        switch (type) {
            case AFTER_SHARD_ID -> {
                if (shardId == null) {
                    throw KinesisException.invalidArgument("ShardFilter of type AFTER_SHARD_ID requires a ShardId.");
                }
            }
            case AT_TIMESTAMP, FROM_TIMESTAMP -> {
                if (timestamp == null) {
                    throw KinesisException.invalidArgument("ShardFilter of type " + type + " requires a Timestamp.");
                }
            }
            default -> {
                if (shardId != null || timestamp != null) {
                    throw KinesisException.invalidArgument("ShardFilter of type " + type
                            + " takes neither a ShardId nor a Timestamp.");
                }
            }
        }
        return new ShardFilter(type, shardId, timestamp);
    }
}
