package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.AppendBatch;
import dev.eddy.eventstore.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.NewRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The latency of one durable single-record append, one at a time, through {@link EventStores#mapdb}: a probe, not
 * a test (performance is never asserted). Run with
 * {@code mvn -B -pl eventstore verify -Deddy.probe=true -Dtest=MapDbAppendLatencyProbe -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code target/surefire-reports/*MapDbAppendLatencyProbe-output.txt}, or run {@link #main} directly
 * (e.g. under strace) with the test classpath.
 */
@EnabledIfSystemProperty(named = "eddy.probe", matches = "true")
class MapDbAppendLatencyProbe {

    private static final int WARMUP = 1_000;
    private static final int APPENDS = 5_000;
    private static final int SIZE = 1024;

    @Test
    void sequentialSingleRecordAppends() throws Exception {
        main(new String[0]);
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        String mode = args.length > 1 ? args[1] : "default"; // default | no-redo | checkpoint-at-close
        Vertx vertx = Vertx.vertx();
        try {
            for (int round = 0; round < rounds; round++) {
                MapDbFixture dir = new MapDbFixture();
                EventStore store = EventStoreTckBase.await(switch (mode) {
                    case "no-redo" -> MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()).withRedoLog(false))
                            .map(s -> (EventStore) s);
                    case "checkpoint-at-close" -> MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()), v -> v,
                            RedoLoggedStorage.Policy.ONLY_AT_CLOSE).map(s -> (EventStore) s);
                    default -> EventStores.mapdb(vertx, dir.dir());
                });
                byte[] data = new byte[SIZE];
                new Random(3).nextBytes(data);
                long[] nanos = new long[APPENDS];
                long start = 0;
                for (int i = -WARMUP; i < APPENDS; i++) {
                    if (i == 0) {
                        start = System.nanoTime();
                    }
                    long t0 = System.nanoTime();
                    EventStoreTckBase.await(store.append("shard/" + (i & 3),
                            AppendBatch.of(List.of(NewRecord.of("key-" + (i % 100), data)), System.currentTimeMillis())));
                    if (i >= 0) {
                        nanos[i] = System.nanoTime() - t0;
                    }
                }
                double secs = (System.nanoTime() - start) / 1e9;
                Arrays.sort(nanos);
                System.out.printf("%s round %d: %d sequential appends of 1 x %d B: %,.0f appends/s, p50 %.3f ms,"
                                + " p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n", mode, round, APPENDS, SIZE,
                        APPENDS / secs, ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99), ms(nanos, 0.999),
                        nanos[APPENDS - 1] / 1e6);
                EventStoreTckBase.await(store.close());
                dir.cleanup();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * sorted.length))] / 1e6;
    }
}
