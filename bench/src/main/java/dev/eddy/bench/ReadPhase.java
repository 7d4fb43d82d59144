package dev.eddy.bench;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads every shard of the bench stream from TRIM_HORIZON with GetRecords (one reader thread per shard)
 * and checks each record. Used by one thread.
 */
final class ReadPhase {

    /** What the read phase measured and found. */
    record Result(long records, long bytes, double seconds, long calls, int shards, Verification verification) {
    }

    static final int LIMIT = 10_000;
    /** Empty answers in a row, while the server says the reader is behind, before a shard counts as read. */
    private static final int MAX_EMPTY_WHILE_BEHIND = 50;

    private final KinesisAsyncClient client;
    private final BenchOptions options;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();

    ReadPhase(KinesisAsyncClient client, BenchOptions options) {
        this.client = client;
        this.options = options;
    }

    /** Records received so far (for the progress line). */
    long received() {
        return read.get();
    }

    Result run() throws Exception {
        List<Shard> shards = listShards();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, shards.size()), r -> {
            Thread t = new Thread(r, "bench-reader");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        List<ShardCheck> checks = new ArrayList<>();
        try {
            List<Future<ShardCheck>> futures = new ArrayList<>();
            for (Shard shard : shards) {
                futures.add(pool.submit(() -> readShard(shard.shardId())));
            }
            for (Future<ShardCheck> f : futures) {
                try {
                    checks.add(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = checks.stream().mapToLong(c -> c.bytes).sum();
        return new Result(read.get(), bytes, seconds, calls.get(), shards.size(),
                Verification.of(options.records(), checks));
    }

    private List<Shard> listShards() {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = client.listShards(ListShardsRequest.builder().streamName(options.stream()).build())
                .join();
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            page = client.listShards(ListShardsRequest.builder().nextToken(page.nextToken()).build()).join();
            shards.addAll(page.shards());
        }
        return shards;
    }

    private ShardCheck readShard(String shardId) {
        ShardCheck check = new ShardCheck(shardId, options.records(), options.keys());
        String iterator = client.getShardIterator(GetShardIteratorRequest.builder()
                .streamName(options.stream())
                .shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)
                .build()).join().shardIterator();
        int emptyInARow = 0;
        while (iterator != null) {
            GetRecordsResponse response = client.getRecords(GetRecordsRequest.builder()
                    .shardIterator(iterator).limit(LIMIT).build()).join();
            calls.incrementAndGet();
            response.records().forEach(r -> check.accept(r.sequenceNumber(), r.partitionKey(),
                    r.data().asByteArrayUnsafe()));
            read.addAndGet(response.records().size());
            iterator = response.nextShardIterator();
            if (response.records().isEmpty()) {
                Long behind = response.millisBehindLatest();
                if (behind == null || behind == 0 || ++emptyInARow >= MAX_EMPTY_WHILE_BEHIND) {
                    break;
                }
            } else {
                emptyInARow = 0;
            }
        }
        return check;
    }
}
