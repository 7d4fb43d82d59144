package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.HistoryEvent;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Five million records, each with a partition key of its own, written through the platform on MapDB in a JVM with
 * a 512 MiB heap (this class runs in its own surefire execution with {@code -Xmx512m}): the writes complete, every
 * key's history reads back (version 0, its own data), and reopening the store does not visit the keys again.
 */
class DistinctKeysBoundedHeapTest {

    /** Five million; a system property may lower it when profiling. */
    private static final int RECORDS = Integer.getInteger("eddy.test.distinctKeys", 5_000_000);
    private static final int BATCH = 500;
    private static final int IN_FLIGHT = 8;
    private static final int READS_IN_FLIGHT = 128;
    private static final String STREAM = "keys";

    @TempDir
    Path dir;

    private final Vertx vertx = Vertx.vertx();
    private EventStore store;

    @AfterEach
    void tearDown() throws Exception {
        if (store != null) {
            await(store.close());
        }
        await(vertx.close());
    }

    private static String key(int i) {
        return "aggregate-" + i;
    }

    private static byte[] data(int i) {
        return ByteBuffer.allocate(12).putInt(i).putLong(~(long) i * 31).array();
    }

    @Test
    void fiveMillionDistinctKeysUnderA512MiBHeap() throws Exception {
        long maxHeap = Runtime.getRuntime().maxMemory();
        assertTrue(maxHeap <= 560L << 20, "this test must run with -Xmx512m, max heap is " + (maxHeap >> 20) + " MiB");

        store = await(EventStores.mapdb(vertx, dir));
        Streams streams = await(Platform.start(vertx, store, PlatformOptions.defaults()));
        await(streams.createStream(new CreateStreamRequest(STREAM, 2, null, null)));

        long t0 = System.nanoTime();
        List<Future<List<PutResult>>> window = new ArrayList<>();
        for (int first = 0; first < RECORDS; first += BATCH) {
            List<PutEntry> entries = new ArrayList<>(BATCH);
            for (int i = first; i < first + BATCH; i++) {
                entries.add(PutEntry.of(key(i), null, data(i)));
            }
            window.add(streams.putRecords(STREAM, entries));
            if (window.size() == IN_FLIGHT) {
                checkPut(await(window.remove(0)));
            }
        }
        for (Future<List<PutResult>> f : window) {
            checkPut(await(f));
        }
        System.out.printf("wrote %,d records with distinct keys in %.1f s, heap used %d MiB%n", RECORDS,
                (System.nanoTime() - t0) / 1e9, usedHeapMiB());

        long t1 = System.nanoTime();
        verifyHistories(streams, 1);
        System.out.printf("read back every key's history in %.1f s%n", (System.nanoTime() - t1) / 1e9);

        await(store.close());
        store = null;
        long t2 = System.nanoTime();
        store = await(EventStores.mapdb(vertx, dir));
        streams = await(Platform.start(vertx, store, PlatformOptions.defaults()));
        double reopenSeconds = (System.nanoTime() - t2) / 1e9;
        System.out.printf("reopened in %.2f s%n", reopenSeconds);
        assertTrue(reopenSeconds < 2.0, "reopening took " + reopenSeconds + " s");

        // After the reopen the histories come from the key index's files: check a spread of them, and that a new
        // record of an old key continues its history.
        verifyHistories(streams, 997);
        int old = RECORDS * 7 / 8 + 3;
        PutResult next = await(streams.putRecord(STREAM, PutEntry.of(key(old), null, new byte[] {7})));
        assertEquals(1, next.version());
        List<HistoryEvent> history = await(streams.readEvents(STREAM, key(old), 0, 10));
        assertEquals(2, history.size());
        assertArrayEquals(data(old), history.get(0).record().data());
        assertArrayEquals(new byte[] {7}, history.get(1).record().data());
    }

    private static void checkPut(List<PutResult> results) {
        for (PutResult r : results) {
            assertFalse(r.failed(), () -> "put failed: " + r.errorCode() + " " + r.errorMessage());
            assertEquals(0, r.version());
        }
    }

    /**
     * Reads the histories of keys 0, stride, 2 * stride, ... with {@value #READS_IN_FLIGHT} reads in flight, driven
     * from callbacks on a Vert.x context (the test thread only waits for the end).
     */
    private void verifyHistories(Streams streams, int stride) throws Exception {
        Promise<Void> done = Promise.promise();
        int[] nextKey = {0};
        int[] inFlight = {0};
        vertx.runOnContext(v -> {
            for (int i = 0; i < READS_IN_FLIGHT; i++) {
                readNext(streams, stride, nextKey, inFlight, done);
            }
        });
        done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    }

    private static void readNext(Streams streams, int stride, int[] nextKey, int[] inFlight, Promise<Void> done) {
        if (nextKey[0] >= RECORDS) {
            if (inFlight[0] == 0) {
                done.tryComplete();
            }
            return;
        }
        int i = nextKey[0];
        nextKey[0] += stride;
        inFlight[0]++;
        streams.readEvents(STREAM, key(i), 0, 10).onComplete(ar -> {
            inFlight[0]--;
            try {
                if (ar.failed()) {
                    throw new AssertionError("reading the history of " + key(i) + " failed", ar.cause());
                }
                List<HistoryEvent> h = ar.result();
                assertEquals(1, h.size(), "history of " + key(i));
                assertEquals(0, h.get(0).record().version());
                assertEquals(key(i), h.get(0).record().partitionKey());
                assertArrayEquals(data(i), h.get(0).record().data(), "data of " + key(i));
            } catch (Throwable t) {
                done.tryFail(t);
                return;
            }
            // Through the context, not by recursion: a read that is already complete when its callback is attached
            // runs the callback at once, and a run of those would grow the stack until it overflows (which broke
            // the chain and left the test waiting for its timeout).
            Vertx.currentContext().runOnContext(v -> readNext(streams, stride, nextKey, inFlight, done));
        });
    }

    private static long usedHeapMiB() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }
}
