package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.NewRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;

/**
 * A quick in-process throughput probe, not a test (performance is never asserted): 4 appenders, each appending
 * batches of 500 x 1 KiB records to its own log, one batch in flight each. Run with
 * {@code mvn -o -pl eventstore verify -Deddy.probe=true -Dtest=PostgresThroughputProbe -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code target/surefire-reports/*PostgresThroughputProbe-output.txt}.
 */
@EnabledIfSystemProperty(named = "eddy.probe", matches = "true")
class PostgresThroughputProbe {

    private static final int APPENDERS = 4;
    private static final int RECORDS = 500;
    private static final int SIZE = 1024;
    private static final int BATCHES_PER_APPENDER = 100;

    @Test
    void appendBatchesOf500OneKibRecordsToFourLogs() {
        String url = PostgresTestServer.createDatabase();
        Vertx vertx = Vertx.vertx();
        try {
            EventStore store = await(EventStores.postgres(vertx, PostgresOptions.of(url)));
            Random random = new Random(1);
            List<NewRecord> batch = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                byte[] data = new byte[SIZE];
                random.nextBytes(data);
                batch.add(NewRecord.of("pk-" + random.nextInt(1000), data));
            }
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                List<Future<Void>> appenders = new ArrayList<>();
                for (int a = 0; a < APPENDERS; a++) {
                    appenders.add(appendLoop(store, "probe-" + a, batch, BATCHES_PER_APPENDER));
                }
                await(Future.all(appenders));
                double secs = (System.nanoTime() - start) / 1e9;
                double records = (double) APPENDERS * BATCHES_PER_APPENDER * RECORDS;
                System.out.printf("postgres (%s) round %d: %,.0f records/s, %.1f MB/s, %.1f ms per batch%n",
                        PostgresTestServer.source(), round, records / secs, records * SIZE / secs / 1e6,
                        secs * 1000 / BATCHES_PER_APPENDER);
            }
            await(store.close());
        } finally {
            await(vertx.close());
            PostgresTestServer.dropDatabase(url);
        }
    }

    private static Future<Void> appendLoop(EventStore store, String log, List<NewRecord> batch, int remaining) {
        if (remaining == 0) {
            return Future.succeededFuture();
        }
        return store.append(log, AppendBatch.of(batch, System.currentTimeMillis()))
                .compose(r -> appendLoop(store, log, batch, remaining - 1));
    }

}
