package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A quick throughput probe, not a test (performance is never asserted): run with
 * {@code mvn -o -pl eventstore verify -Deddy.probe=true -Dtest=MapDbThroughputProbe -Dsurefire.failIfNoSpecifiedTests=false}
 * and read {@code target/surefire-reports/*MapDbThroughputProbe-output.txt}. Proper benchmarks are JMH's job.
 */
@EnabledIfSystemProperty(named = "eddy.probe", matches = "true")
class MapDbThroughputProbe {

    private static final int BATCHES = 200;
    private static final int RECORDS = 500;
    private static final int SIZE = 1024;

    @Test
    void rawMapDbFileChannelVersusMmap() throws Exception {
        for (int round = 0; round < 2; round++) {
            for (boolean mmap : new boolean[]{false, true}) {
                MapDbFixture dir = new MapDbFixture();
                DBMaker.Maker maker = DBMaker.fileDB(dir.dir().resolve("probe.db").toFile()).transactionEnable();
                maker = mmap ? maker.fileMmapEnableIfSupported().cleanerHackEnable() : maker.fileChannelEnable();
                DB db = maker.make();
                BTreeMap<Long, byte[]> map = db.treeMap("b", Serializer.LONG, Serializer.BYTE_ARRAY)
                        .valuesOutsideNodesEnable().createOrOpen();
                byte[] blob = new byte[RECORDS * (SIZE + 40)];
                new Random(1).nextBytes(blob);
                long start = System.nanoTime();
                for (int b = 0; b < BATCHES; b++) {
                    map.put((long) b * RECORDS, blob);
                    if (b % 4 == 3) {
                        db.commit();
                    }
                }
                db.commit();
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf("raw MapDB %-11s round %d: %,.0f records/s (%.1f MB/s)%n", mmap ? "mmap" : "FileChannel",
                        round, BATCHES * RECORDS / secs, BATCHES * (double) blob.length / secs / 1e6);
                db.close();
                dir.cleanup();
            }
        }
    }

    @Test
    void engineAppendThroughput() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            for (boolean mmap : new boolean[]{false, true, false, true}) {
                MapDbFixture dir = new MapDbFixture();
                EventStore store = EventStoreTckBase.await(
                        MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()).withMmap(mmap)));
                byte[] data = new byte[SIZE];
                new Random(2).nextBytes(data);
                List<NewRecord> records = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    records.add(NewRecord.of("key-" + i, data));
                }
                int total = BATCHES * 4;
                int inFlight = 16;
                long start = System.nanoTime();
                List<Future<AppendResult>> window = new ArrayList<>();
                for (int b = 0; b < total; b++) {
                    window.add(store.append("shard/" + (b % 8), AppendBatch.of(records, System.currentTimeMillis())));
                    if (window.size() == inFlight) {
                        EventStoreTckBase.await(window.remove(0));
                    }
                }
                window.forEach(EventStoreTckBase::await);
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf("engine MapDB %-11s: %,.0f records/s (%d batches of %d x %d B, %d in flight)%n",
                        mmap ? "mmap" : "FileChannel", total * RECORDS / secs, total, RECORDS, SIZE, inFlight);
                EventStoreTckBase.await(store.close());
                long reopenStart = System.nanoTime();
                EventStore reopened = EventStoreTckBase.await(
                        MapDbEventStore.open(vertx, MapDbOptions.defaults(dir.dir()).withMmap(mmap)));
                System.out.printf("  reopen (rebuilding indexes from %,d records' key sections): %.2f s%n",
                        total * RECORDS, (System.nanoTime() - reopenStart) / 1e9);
                EventStoreTckBase.await(reopened.close());
                dir.cleanup();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
