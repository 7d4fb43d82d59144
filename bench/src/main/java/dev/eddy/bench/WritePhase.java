package dev.eddy.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes the bench records with PutRecords, {@code concurrency} calls in flight. Used by one thread.
 *
 * <p>Each in-flight "lane" owns a disjoint set of partition keys and sends its calls one after another, so
 * the order of a key's records is defined (Kinesis orders a key's records only across sequential calls).
 * Record {@code i} has key {@code i % keys} and per-key counter {@code i / keys}. Entries a call reports as
 * failed are sent again, in order, before the lane's next new records.
 */
final class WritePhase {

    /** What the write phase measured. */
    record Result(long records, long bytes, double seconds, long calls, long retriedEntries, Histogram latencyMicros) {
    }

    private static final int MAX_ATTEMPTS_WITHOUT_PROGRESS = 30;

    private final KinesisAsyncClient client;
    private final BenchOptions options;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(10), 3);

    WritePhase(KinesisAsyncClient client, BenchOptions options) {
        this.client = client;
        this.options = options;
    }

    /** Records acknowledged so far (for the progress line). */
    long acknowledged() {
        return acked.get();
    }

    Result run() throws Exception {
        int lanes = Math.min(options.concurrency(), options.keys());
        ExecutorService pool = Executors.newFixedThreadPool(lanes, r -> {
            Thread t = new Thread(r, "bench-writer");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int lane = 0; lane < lanes; lane++) {
                int laneIndex = lane;
                futures.add(pool.submit(() -> {
                    runLane(laneIndex, lanes);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(acked.get(), bytes.get(), seconds, calls.get(), retried.get(), latency.copy());
    }

    private void runLane(int lane, int lanes) {
        int keys = options.keys();
        int[] laneKeys = java.util.stream.IntStream.range(0, keys).filter(k -> k % lanes == lane).toArray();
        long total = options.records();
        Deque<PutRecordsRequestEntry> pending = new ArrayDeque<>();
        long round = 0;
        int keyPos = 0;
        boolean exhausted = false;
        int attemptsWithoutProgress = 0;
        while (!exhausted || !pending.isEmpty()) {
            List<PutRecordsRequestEntry> batch = new ArrayList<>(options.batch());
            while (batch.size() < options.batch() && !pending.isEmpty()) {
                batch.add(pending.pollFirst());
            }
            while (batch.size() < options.batch() && !exhausted) {
                long id = round * keys + laneKeys[keyPos];
                if (id >= total) {
                    exhausted = true;
                    break;
                }
                int key = laneKeys[keyPos];
                batch.add(PutRecordsRequestEntry.builder()
                        .partitionKey(BenchRecord.partitionKey(key))
                        .data(SdkBytes.fromByteArrayUnsafe(BenchRecord.encode(id, key, round, options.recordSize())))
                        .build());
                if (++keyPos == laneKeys.length) {
                    keyPos = 0;
                    round++;
                }
            }
            if (batch.isEmpty()) {
                break;
            }
            List<PutRecordsRequestEntry> failed = send(batch);
            if (failed.size() < batch.size()) {
                attemptsWithoutProgress = 0;
            } else if (++attemptsWithoutProgress >= MAX_ATTEMPTS_WITHOUT_PROGRESS) {
                throw new IllegalStateException("PutRecords made no progress in " + MAX_ATTEMPTS_WITHOUT_PROGRESS
                        + " attempts on stream " + options.stream());
            }
            if (!failed.isEmpty()) {
                retried.addAndGet(failed.size());
                for (int i = failed.size() - 1; i >= 0; i--) {
                    pending.addFirst(failed.get(i));
                }
                backoff(attemptsWithoutProgress);
            }
        }
    }

    /** Sends one call; returns the entries to send again (all of them if the call itself failed). */
    private List<PutRecordsRequestEntry> send(List<PutRecordsRequestEntry> batch) {
        PutRecordsRequest request = PutRecordsRequest.builder().streamName(options.stream()).records(batch).build();
        long t0 = System.nanoTime();
        PutRecordsResponse response;
        try {
            response = client.putRecords(request).join();
        } catch (CompletionException e) {
            calls.incrementAndGet();
            if (isFatal(e.getCause())) {
                throw e;
            }
            return batch;
        }
        latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        calls.incrementAndGet();
        List<PutRecordsResultEntry> results = response.records();
        if (results.size() != batch.size()) {
            throw new IllegalStateException("PutRecords answered " + results.size() + " results for "
                    + batch.size() + " entries");
        }
        List<PutRecordsRequestEntry> failed = new ArrayList<>();
        long okBytes = 0;
        long ok = 0;
        for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry result = results.get(i);
            if (result.errorCode() != null || result.sequenceNumber() == null) {
                failed.add(batch.get(i));
            } else {
                ok++;
                okBytes += batch.get(i).data().asByteArrayUnsafe().length;
            }
        }
        acked.addAndGet(ok);
        bytes.addAndGet(okBytes);
        return failed;
    }

    private static boolean isFatal(Throwable cause) {
        return cause instanceof software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException
                || cause instanceof software.amazon.awssdk.services.kinesis.model.InvalidArgumentException
                || cause instanceof software.amazon.awssdk.services.kinesis.model.KinesisException k
                        && k.statusCode() == 400
                        && !(cause instanceof software.amazon.awssdk.services.kinesis.model
                                .ProvisionedThroughputExceededException);
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(Math.min(1000, 20L * (1L << Math.min(attempt, 6))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
