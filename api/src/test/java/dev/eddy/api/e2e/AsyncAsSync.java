package dev.eddy.api.e2e;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.CreateStreamRequest;
import software.amazon.awssdk.services.kinesis.model.CreateStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DeleteStreamRequest;
import software.amazon.awssdk.services.kinesis.model.DeleteStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsRequest;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The operations the lifecycle test uses, on an async client, answered synchronously: lets one lifecycle
 * scenario run on both client kinds. Thread-safe like the client it wraps.
 */
final class AsyncAsSync implements KinesisClient {

    private final KinesisAsyncClient async;

    AsyncAsSync(KinesisAsyncClient async) {
        this.async = async;
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    @Override
    public CreateStreamResponse createStream(CreateStreamRequest request) {
        return join(async.createStream(request));
    }

    @Override
    public DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
        return join(async.deleteStream(request));
    }

    @Override
    public DescribeStreamResponse describeStream(DescribeStreamRequest request) {
        return join(async.describeStream(request));
    }

    @Override
    public DescribeStreamSummaryResponse describeStreamSummary(DescribeStreamSummaryRequest request) {
        return join(async.describeStreamSummary(request));
    }

    @Override
    public ListStreamsResponse listStreams(ListStreamsRequest request) {
        return join(async.listStreams(request));
    }

    @Override
    public ListShardsResponse listShards(ListShardsRequest request) {
        return join(async.listShards(request));
    }

    @Override
    public PutRecordResponse putRecord(PutRecordRequest request) {
        return join(async.putRecord(request));
    }

    @Override
    public PutRecordsResponse putRecords(PutRecordsRequest request) {
        return join(async.putRecords(request));
    }

    @Override
    public GetShardIteratorResponse getShardIterator(GetShardIteratorRequest request) {
        return join(async.getShardIterator(request));
    }

    @Override
    public GetRecordsResponse getRecords(GetRecordsRequest request) {
        return join(async.getRecords(request));
    }

    @Override
    public String serviceName() {
        return async.serviceName();
    }

    @Override
    public void close() {
        async.close();
    }
}
