package dev.eddy.eventstore.postgres;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.List;

/**
 * The store's schema as numbered migrations, applied by the store itself when it opens. Stateless; thread-safe.
 *
 * <p>Applied versions are recorded in {@code eddy_schema_migrations}; an older schema gets only the missing
 * ones. The whole run is one transaction holding a transaction-scoped advisory lock, so processes opening the
 * same database at once apply each migration exactly once (the others wait, then find nothing to do).
 */
final class SchemaMigrations {

    /** One schema step. */
    record Migration(int version, String description, List<String> statements) {
    }

    /** Key of the advisory lock that serialises migration runs ("eddy" in ASCII). */
    static final long LOCK_KEY = 0x65646479L;

    static final List<Migration> ALL = List.of(
            new Migration(1, "logs, records, batches, key versions, metadata", List.of(
                    """
                    CREATE TABLE eddy_logs (
                        log_id         bigserial PRIMARY KEY,
                        name           text COLLATE "C" NOT NULL UNIQUE,
                        next_position  bigint NOT NULL,
                        first_position bigint NOT NULL DEFAULT 0,
                        last_arrival   bigint NOT NULL DEFAULT -1
                    )""",
                    """
                    CREATE TABLE eddy_records (
                        log_id        bigint NOT NULL,
                        position      bigint NOT NULL,
                        partition_key text COLLATE "C" NOT NULL,
                        version       bigint NOT NULL,
                        arrival       bigint NOT NULL,
                        event_id      text COLLATE "C",
                        event_type    text,
                        metadata      jsonb,
                        data          bytea NOT NULL,
                        PRIMARY KEY (log_id, position)
                    )""",
                    // One row per append: trims cut at batch starts, seeks find a batch by arrival.
                    """
                    CREATE TABLE eddy_batches (
                        log_id         bigint NOT NULL,
                        first_position bigint NOT NULL,
                        record_count   int NOT NULL,
                        arrival        bigint NOT NULL,
                        PRIMARY KEY (log_id, first_position)
                    )""",
                    """
                    CREATE TABLE eddy_key_versions (
                        log_id        bigint NOT NULL,
                        partition_key text COLLATE "C" NOT NULL,
                        version       bigint NOT NULL,
                        PRIMARY KEY (log_id, partition_key)
                    )""",
                    """
                    CREATE TABLE eddy_metadata (
                        namespace text COLLATE "C" NOT NULL,
                        key       text COLLATE "C" NOT NULL,
                        value     bytea NOT NULL,
                        PRIMARY KEY (namespace, key)
                    )""")),
            new Migration(2, "indexes: idempotency ids, key history, batch arrival", List.of(
                    "CREATE UNIQUE INDEX eddy_records_event_id ON eddy_records (log_id, event_id) WHERE event_id IS NOT NULL",
                    "CREATE INDEX eddy_records_key_version ON eddy_records (log_id, partition_key, version)",
                    "CREATE INDEX eddy_batches_arrival ON eddy_batches (log_id, arrival, first_position)")),
            new Migration(3, "stored data bytes per log", List.of(
                    "ALTER TABLE eddy_logs ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0",
                    """
                    UPDATE eddy_logs l SET stored_bytes = coalesce(
                        (SELECT sum(octet_length(r.data)) FROM eddy_records r WHERE r.log_id = l.log_id), 0)""")));

    /** The newest schema version this code knows. */
    static final int LATEST = ALL.get(ALL.size() - 1).version();

    private SchemaMigrations() {
    }

    /** Brings the database to {@link #LATEST}; fails if it is newer than this code knows. */
    static Future<Integer> migrate(Pool pool) {
        return migrate(pool, LATEST);
    }

    /** Applies the missing migrations up to {@code target} (tests build older schemas with it). */
    static Future<Integer> migrate(Pool pool, int target) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(LOCK_KEY))
                .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute()) // no "already exists" notices
                .compose(v -> conn.query("""
                        CREATE TABLE IF NOT EXISTS eddy_schema_migrations (
                            version     int PRIMARY KEY,
                            description text NOT NULL,
                            applied_at  timestamptz NOT NULL DEFAULT now()
                        )""").execute())
                .compose(v -> conn.query("SELECT coalesce(max(version), 0) FROM eddy_schema_migrations").execute())
                .compose(rows -> {
                    int current = rows.iterator().next().getInteger(0);
                    if (current > LATEST) {
                        return Future.failedFuture(new IllegalStateException("the database schema is at version " + current
                                + ", newer than this Eddy knows (" + LATEST + "): upgrade Eddy"));
                    }
                    Future<Integer> chain = Future.succeededFuture(current);
                    for (Migration m : ALL) {
                        if (m.version() > current && m.version() <= target) {
                            chain = chain.compose(v -> apply(conn, m));
                        }
                    }
                    return chain;
                }));
    }

    private static Future<Integer> apply(SqlConnection conn, Migration m) {
        Future<?> chain = Future.succeededFuture();
        for (String sql : m.statements()) {
            chain = chain.compose(v -> conn.query(sql).execute());
        }
        return chain.compose(v -> conn.preparedQuery("INSERT INTO eddy_schema_migrations (version, description) VALUES ($1, $2)")
                        .execute(Tuple.of(m.version(), m.description())))
                .map(v -> m.version());
    }

    /** The versions recorded as applied, in order (for tests and diagnostics). */
    static Future<List<Integer>> applied(Pool pool) {
        return pool.query("SELECT version FROM eddy_schema_migrations ORDER BY version").execute()
                .map(rows -> {
                    List<Integer> out = new java.util.ArrayList<>();
                    for (Row r : rows) {
                        out.add(r.getInteger(0));
                    }
                    return out;
                });
    }
}
