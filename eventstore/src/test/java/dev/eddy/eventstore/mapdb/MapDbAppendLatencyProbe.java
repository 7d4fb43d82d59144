package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The latency of one durable single-record append, one at a time, through {@link EventStores#mapdb}: a probe, not
 * a test (performance is never asserted). Run with
 * {@code mvn -B -pl eventstore verify -Deddy.probe=true -Dtest=MapDbAppendLatencyProbe -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code target/surefire-reports/*MapDbAppendLatencyProbe-output.txt}, or run {@link #main} directly
 * (e.g. under strace) with the test classpath to compare modes ({@code no-redo}: a MapDB commit per group) and to
 * measure bulk appends and reads ({@code bulk}; {@code -Dprobe.closeAfterWrite=true} times the checkpointer's
 * catch-up and the process CPU instead of reading).
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

    private static EventStore open(Vertx vertx, Path dir, String mode) {
        return EventStoreTckBase.await(switch (mode) {
            case "no-redo" -> MapDbEventStore.open(vertx, MapDbOptions.defaults(dir).withRedoLog(false))
                    .map(s -> (EventStore) s);
            case "checkpoint-at-close" -> MapDbEventStore.open(vertx, MapDbOptions.defaults(dir), v -> v,
                    LoggedBatchStorage.Policy.ONLY_AT_CLOSE).map(s -> (EventStore) s);
            default -> EventStores.mapdb(vertx, dir);
        });
    }

    /**
     * Arguments: rounds (2), mode ({@code default}, {@code no-redo} or {@code checkpoint-at-close}), and
     * {@code paced} for 10,000 appends at 1,000/s, or {@code bulk} to append 800 batches of 500 x 1 KiB over 8 logs,
     * 16 in flight, instead.
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        String mode = args.length > 1 ? args[1] : "default";
        boolean bulk = args.length > 2 && args[2].equals("bulk");
        boolean paced = args.length > 2 && args[2].equals("paced");
        Vertx vertx = Vertx.vertx();
        try {
            for (int round = 0; round < rounds; round++) {
                MapDbFixture dir = new MapDbFixture();
                EventStore store = open(vertx, dir.dir(), mode);
                if (paced) {
                    paced(store, mode, round);
                    EventStoreTckBase.await(store.close());
                    dir.cleanup();
                    continue;
                }
                if (bulk) {
                    bulk(store, mode, round);
                    store.close(); // already closed with probe.closeAfterWrite
                    dir.cleanup();
                    continue;
                }
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

    /** 10,000 single-record appends issued at 1,000 per second, each timed from issue to acknowledgement. */
    private static void paced(EventStore store, String mode, int round) throws Exception {
        byte[] data = new byte[SIZE];
        new Random(4).nextBytes(data);
        int n = 10_000;
        long[] nanos = new long[n];
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
        long start = System.nanoTime() + 100_000_000L;
        for (int i = 0; i < n; i++) {
            long due = start + i * 1_000_000L;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            long t0 = System.nanoTime();
            int id = i;
            store.append("shard/" + (i & 3), AppendBatch.of(List.of(NewRecord.of("key-" + (i % 100), data)),
                    System.currentTimeMillis())).onComplete(ar -> {
                        nanos[id] = System.nanoTime() - t0;
                        done.countDown();
                    });
        }
        done.await();
        Arrays.sort(nanos);
        System.out.printf("%s paced round %d: %d appends of 1 x %d B at 1,000/s: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms,"
                        + " p99.9 %.3f ms, max %.3f ms%n", mode, round, n, SIZE, ms(nanos, .5), ms(nanos, .9),
                ms(nanos, .99), ms(nanos, .999), nanos[n - 1] / 1e6);
    }

    private static void bulk(EventStore store, String mode, int round) {
        byte[] data = new byte[SIZE];
        new Random(2).nextBytes(data);
        List<NewRecord> records = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            records.add(NewRecord.of("key-" + i, data));
        }
        int total = 800;
        java.util.ArrayDeque<io.vertx.core.Future<?>> window = new java.util.ArrayDeque<>();
        long[] nanos = new long[total];
        long[] started = new long[total];
        java.util.ArrayDeque<Integer> ids = new java.util.ArrayDeque<>();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int b = 0; b < total; b++) {
            started[b] = System.nanoTime();
            window.add(store.append("shard/" + (b % 8), AppendBatch.of(records, System.currentTimeMillis())));
            ids.add(b);
            if (window.size() == 16) {
                EventStoreTckBase.await(window.remove());
                int id = ids.remove();
                nanos[id] = System.nanoTime() - started[id];
            }
        }
        while (!window.isEmpty()) {
            EventStoreTckBase.await(window.remove());
            int id = ids.remove();
            nanos[id] = System.nanoTime() - started[id];
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (Boolean.getBoolean("probe.closeAfterWrite")) {
            long c0 = System.nanoTime();
            EventStoreTckBase.await(store.close());
            System.out.printf("   close right after the writes (the checkpointer catching up): %.0f ms; process CPU"
                    + " for writing and closing: %.1f s%n", (System.nanoTime() - c0) / 1e6,
                    (os.getProcessCpuTime() - cpu0) / 1e9);
        }
        Arrays.sort(nanos);
        System.out.printf("%s bulk round %d: %,.0f records/s (800 batches of 500 x 1 KiB over 8 logs, 16 in flight);"
                + " append p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", mode, round, total * 500 / secs,
                ms(nanos, .5), ms(nanos, .99), nanos[total - 1] / 1e6);
        for (String when : Boolean.getBoolean("probe.closeAfterWrite") ? new String[0]
                : new String[]{"at once", "again"}) {
            long t0 = System.nanoTime();
            long n = 0;
            for (int l = 0; l < 8; l++) {
                long from = 0;
                while (true) {
                    var r = EventStoreTckBase.await(store.read("shard/" + l, from, 10_000, 10L << 20));
                    if (r.records().isEmpty()) {
                        break;
                    }
                    n += r.records().size();
                    from = r.nextPosition();
                }
            }
            System.out.printf("   read %s: %,d records, %,.0f records/s%n", when, n, n / ((System.nanoTime() - t0) / 1e9));
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * sorted.length))] / 1e6;
    }
}
