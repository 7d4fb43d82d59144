package dev.eddy.eventstore.tck;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StoredRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: many writers on many logs, and readers tailing logs while they grow. */
public abstract class ConcurrencyTck extends EventStoreTckBase {

    private static byte[] tag(int thread, int seq) {
        return ByteBuffer.allocate(8).putInt(thread).putInt(seq).array();
    }

    @Test
    void concurrentAppendsToManyLogsFromManyThreads() throws Exception {
        int threads = 8;
        int logs = 16;
        int appendsPerLog = 25;
        int recordsPerAppend = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ConcurrentLinkedQueue<Future<AppendResult>> results = new ConcurrentLinkedQueue<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                pool.submit(() -> {
                    int seq = 0;
                    for (int i = 0; i < appendsPerLog; i++) {
                        for (int l = 0; l < logs; l++) {
                            List<NewRecord> batch = new ArrayList<>();
                            for (int r = 0; r < recordsPerAppend; r++) {
                                batch.add(NewRecord.of("key-" + (r % 3), tag(thread, seq++)));
                            }
                            results.add(store.append("log-" + l, AppendBatch.of(batch, System.currentTimeMillis())));
                        }
                    }
                });
            }
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
        for (Future<AppendResult> f : results) {
            AppendResult r = await(f);
            for (int i = 1; i < r.count(); i++) {
                assertEquals(r.positions()[0] + i, r.positions()[i]);
            }
        }
        for (int l = 0; l < logs; l++) {
            List<StoredRecord> all = readAll("log-" + l);
            assertEquals(threads * appendsPerLog * recordsPerAppend, all.size());
            assertContiguous(all, 0);
            Map<Integer, Integer> lastSeq = new HashMap<>();
            Map<String, Long> versions = new HashMap<>();
            for (StoredRecord r : all) {
                ByteBuffer b = ByteBuffer.wrap(r.data());
                int thread = b.getInt();
                int seq = b.getInt();
                Integer prev = lastSeq.put(thread, seq);
                assertTrue(prev == null || prev < seq, "one thread's appends to a log keep their call order");
                long expectedVersion = versions.merge(r.partitionKey(), 0L, (a, x) -> a + 1);
                assertEquals(expectedVersion, r.version());
            }
        }
    }

    @Test
    void tailingReaderSeesEveryRecordOnceInOrderAndNoPartialBatch() throws Exception {
        int batches = 200;
        int perBatch = 5;
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            var done = writer.submit(() -> {
                List<Future<AppendResult>> fs = new ArrayList<>();
                int seq = 0;
                for (int b = 0; b < batches; b++) {
                    List<NewRecord> batch = new ArrayList<>();
                    for (int r = 0; r < perBatch; r++) {
                        batch.add(NewRecord.of("k", tag(0, seq++)));
                    }
                    fs.add(store.append("tail", AppendBatch.of(batch, 1)));
                    if (b % 20 == 0) {
                        await(fs.get(fs.size() - 1));
                    }
                }
                fs.forEach(EventStoreTckBase::await);
                return null;
            });
            List<StoredRecord> seen = new ArrayList<>();
            long from = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (seen.size() < batches * perBatch && System.nanoTime() < deadline) {
                ReadResult r = await(store.read("tail", from, 7, Long.MAX_VALUE));
                assertEquals(0, r.state().nextPosition() % perBatch, "a batch is visible whole or not at all");
                seen.addAll(r.records());
                from = r.nextPosition();
            }
            done.get(60, TimeUnit.SECONDS);
            assertEquals(batches * perBatch, seen.size());
            for (int i = 0; i < seen.size(); i++) {
                assertEquals(i, seen.get(i).position());
                assertEquals(i, ByteBuffer.wrap(seen.get(i).data()).getInt(4));
            }
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void futuresCompleteOnTheCallersContext() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<List<Boolean>> answer = new CompletableFuture<>();
        context.runOnContext(v -> {
            List<Boolean> same = new ArrayList<>();
            store.append("log", AppendBatch.of(List.of(rec("k", "v")), 1))
                    .onComplete(ar -> same.add(ar.succeeded() && Vertx.currentContext() == context))
                    .compose(r -> store.read("log", 0, 10, 1000))
                    .onComplete(ar -> same.add(ar.succeeded() && Vertx.currentContext() == context))
                    .compose(r -> store.put("ns", "k", new byte[1]))
                    .onComplete(ar -> same.add(ar.succeeded() && Vertx.currentContext() == context))
                    .compose(r -> store.readKey("log", "k", 0, 10))
                    .onComplete(ar -> same.add(ar.succeeded() && Vertx.currentContext() == context))
                    .onComplete(ar -> answer.complete(same), answer::completeExceptionally);
        });
        assertEquals(List.of(true, true, true, true), answer.get(30, TimeUnit.SECONDS));
    }

    @Test
    void readsNeverShowRecordsBeyondTheAcknowledgedState() {
        List<Future<AppendResult>> fs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            fs.add(store.append("log", AppendBatch.of(List.of(rec("k", "r" + i), rec("k", "s" + i)), 1)));
            ReadResult r = await(store.read("log", 0, 1000, Long.MAX_VALUE));
            assertEquals(r.state().nextPosition(), r.records().size());
            assertEquals(0, r.records().size() % 2);
        }
        fs.forEach(EventStoreTckBase::await);
        assertEquals(200, readAll("log").size());
    }
}
