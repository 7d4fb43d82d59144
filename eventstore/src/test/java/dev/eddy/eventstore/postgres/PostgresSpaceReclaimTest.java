package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.NewRecord;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention's space on PostgreSQL: after a log's records are trimmed and the store reclaims space, writing the
 * same volume again reuses the freed pages instead of growing the table (without the reclaim, dead rows hold their
 * pages until autovacuum happens to come by, and the table doubles).
 */
class PostgresSpaceReclaimTest {

    private static final int BATCHES = 40;
    private static final int PER_BATCH = 250;

    private Vertx vertx;
    private String url;
    private EventStore store;
    private Pool sql;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        url = PostgresTestServer.createDatabase();
        store = await(PostgresEventStore.open(vertx, PostgresOptions.of(url)));
        sql = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(PgConnectOptions.fromUri(url))
                .using(vertx).build();
        // Autovacuum must not do the test's work for it.
        await(sql.query("ALTER TABLE eddy_records SET (autovacuum_enabled = false)").execute());
    }

    @AfterEach
    void tearDown() {
        try {
            await(sql.close());
            await(store.close());
        } finally {
            await(vertx.close());
            PostgresTestServer.dropDatabase(url);
        }
    }

    private void fill(String log, int round) {
        byte[] data = new byte[1024];
        for (int b = 0; b < BATCHES; b++) {
            List<NewRecord> records = new ArrayList<>(PER_BATCH);
            for (int i = 0; i < PER_BATCH; i++) {
                records.add(NewRecord.of("key-" + round + "-" + b + "-" + i, data));
            }
            await(store.append(log, AppendBatch.of(records, 1)));
        }
    }

    private long tableBytes() {
        return await(sql.query("SELECT pg_relation_size('eddy_records')").execute()).iterator().next().getLong(0);
    }

    @Test
    void trimmedRowsSpaceIsReusedAfterReclaim() {
        fill("log", 0);
        long full = tableBytes();
        assertTrue(full > BATCHES * PER_BATCH * 1024L, "the table holds the records: " + full);

        long next = await(store.state("log")).nextPosition();
        assertEquals(next, await(store.trim("log", next)));
        await(store.reclaimSpace());
        fill("log", 1);
        long after = tableBytes();
        assertTrue(after < full * 1.2, "the second fill reused the trimmed rows' pages: " + full + " bytes after"
                + " the first fill, " + after + " after the second");
        assertEquals(BATCHES * PER_BATCH, await(store.read("log", 0, 100_000, Integer.MAX_VALUE)).records().size());
    }
}
