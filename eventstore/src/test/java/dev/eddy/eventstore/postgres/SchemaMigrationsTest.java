package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import static dev.eddy.eventstore.tck.EventStoreTckBase.await;
import static dev.eddy.eventstore.tck.EventStoreTckBase.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store's own schema management: upgrades of older schemas, concurrent first opens, unreachable servers. */
class SchemaMigrationsTest {

    private Vertx vertx;
    private String url;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        url = PostgresTestServer.createDatabase();
    }

    @AfterEach
    void tearDown() {
        await(vertx.close());
        PostgresTestServer.dropDatabase(url);
    }

    private List<String> strings(Pool pool, String sql) {
        List<String> out = new ArrayList<>();
        for (Row r : await(pool.query(sql).execute())) {
            out.add(r.getValue(0).toString());
        }
        return out;
    }

    @Test
    void anOlderSchemaGetsOnlyTheMissingMigrationsAndKeepsItsData() {
        Pool pool = PostgresEventStore.createPool(vertx, PostgresOptions.of(url));
        try {
            assertEquals(1, await(SchemaMigrations.migrate(pool, 1)));
            await(pool.query("INSERT INTO eddy_logs (name, next_position, last_arrival) VALUES ('old', 1, 5)").execute());
            await(pool.query("""
                    INSERT INTO eddy_records (log_id, position, partition_key, version, arrival, data)
                    SELECT log_id, 0, 'k', 0, 5, '\\x01'::bytea FROM eddy_logs WHERE name = 'old'""").execute());
            await(pool.query("INSERT INTO eddy_batches SELECT log_id, 0, 1, 5 FROM eddy_logs WHERE name = 'old'").execute());
            await(pool.query("INSERT INTO eddy_key_versions SELECT log_id, 'k', 0 FROM eddy_logs WHERE name = 'old'").execute());
            assertEquals(List.of(1), await(SchemaMigrations.applied(pool)));
            assertTrue(strings(pool, "SELECT indexname FROM pg_indexes WHERE indexname = 'eddy_records_key_version'").isEmpty());

            EventStore store = await(EventStores.postgres(vertx, PostgresOptions.of(url)));
            assertEquals(List.of(1, 2, 3), await(SchemaMigrations.applied(pool)));
            assertEquals(List.of("eddy_records_key_version"),
                    strings(pool, "SELECT indexname FROM pg_indexes WHERE indexname = 'eddy_records_key_version'"));
            assertEquals(1, await(store.readKey("old", "k", 0, 10)).size());
            assertEquals(1L, await(store.storedBytes("old")), "migration 3 counts the bytes already stored");
            assertEquals(1, await(store.append("old", AppendBatch.of(List.of(NewRecord.of("k", new byte[1])), 6)))
                    .versions()[0]);
            assertEquals(2L, await(store.storedBytes("old")));
            assertEquals("postgres", store.backend());
            await(store.close());
        } finally {
            await(pool.close());
        }
    }

    @Test
    void concurrentFirstOpensMakeOneSchemaWithoutError() {
        List<Future<EventStore>> opens = new ArrayList<>();
        List<Vertx> others = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Vertx own = Vertx.vertx(); // as if six processes started at once
            others.add(own);
            opens.add(EventStores.postgres(own, new PostgresOptions(url, 2)));
        }
        for (Future<EventStore> f : opens) {
            await(await(f).close());
        }
        others.forEach(v -> await(v.close()));
        Pool pool = PostgresEventStore.createPool(vertx, PostgresOptions.of(url));
        try {
            assertEquals(List.of(1, 2, 3), await(SchemaMigrations.applied(pool)));
            assertEquals(List.of("5"), strings(pool,
                    "SELECT count(*) FROM pg_tables WHERE tablename IN ('eddy_logs', 'eddy_records', 'eddy_batches', "
                            + "'eddy_key_versions', 'eddy_metadata')"));
        } finally {
            await(pool.close());
        }
    }

    @Test
    void anUnreachableDatabaseFailsTheOpenNamingTheServer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var e = awaitFailure(StorageUnavailableException.class,
                EventStores.postgres(vertx, PostgresOptions.of("postgresql://u:secret@127.0.0.1:" + port + "/db")));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("refused"), e.getMessage());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
        assertTrue(e.retryable());
    }
}
