package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;

/**
 * A probe, not a test (performance is never asserted): single-record appends issued at a fixed rate (1,000/s by
 * default, {@code -Dprobe.rate}) over 4 logs for 10 s, each timed from issue to acknowledgement, as separate
 * PutRecord calls arrive at the store; it also reports the appends per commit. Run with
 * {@code mvn -o -pl eventstore verify -Deddy.probe=true -Dtest=PostgresAppendLatencyProbe -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code target/surefire-reports/*PostgresAppendLatencyProbe-output.txt}.
 */
@EnabledIfSystemProperty(named = "eddy.probe", matches = "true")
class PostgresAppendLatencyProbe {

    private static final int LOGS = 4;
    private static final int SIZE = 100;

    @Test
    void pacedSingleRecordAppendsOverFourLogs() throws Exception {
        int rate = Integer.getInteger("probe.rate", 1_000);
        int n = rate * 10;
        String url = PostgresTestServer.createDatabase();
        Vertx vertx = Vertx.vertx();
        try {
            EventStore store = await(PostgresEventStore.open(vertx, PostgresOptions.of(url)));
            AtomicLong commits = new AtomicLong();
            AtomicLong committed = new AtomicLong();
            store.onCommit(size -> {
                commits.incrementAndGet();
                committed.addAndGet(size);
            });
            byte[] data = new byte[SIZE];
            new Random(4).nextBytes(data);
            for (int round = 0; round < 2; round++) {
                commits.set(0);
                committed.set(0);
                long[] nanos = new long[n];
                CountDownLatch done = new CountDownLatch(n);
                long period = 1_000_000_000L / rate;
                long start = System.nanoTime() + 100_000_000L;
                for (int i = 0; i < n; i++) {
                    long due = start + i * period;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    int id = i;
                    store.append("shard/" + (i % LOGS), AppendBatch.of(List.of(NewRecord.of("key-" + (i % 64), data)),
                            System.currentTimeMillis())).onComplete(ar -> {
                                nanos[id] = System.nanoTime() - due; // from the schedule: falling behind shows
                                done.countDown();
                            });
                }
                done.await();
                Arrays.sort(nanos);
                System.out.printf("postgres (%s) paced round %d: %,d appends of 1 x %d B at %,d/s over %d logs:"
                                + " p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %,d commits, %.1f appends each%n",
                        PostgresTestServer.source(), round, n, SIZE, rate, LOGS, ms(nanos, .5), ms(nanos, .9),
                        ms(nanos, .99), nanos[n - 1] / 1e6, commits.get(), committed.get() / (double) commits.get());
            }
            await(store.close());
        } finally {
            await(vertx.close());
            PostgresTestServer.dropDatabase(url);
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * sorted.length))] / 1e6;
    }
}
