package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.spi.LogState;
import dev.eddy.eventstore.spi.ReadResult;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.StoredRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The event store in PostgreSQL through the Vert.x reactive client. Appends to one log are group-committed:
 * while a log's transaction runs, the appends queued behind it (up to {@value #MAX_GROUP_APPENDS} of them, about
 * {@value #MAX_GROUP_BYTES} bytes) run together in its next transaction, each with its own checks and outcome
 * ({@link LogSequencer}, {@link AppendTransaction}). Reads are single statements (one snapshot each).
 * Thread-safe; no method blocks. Several processes may share the database: the log row's lock orders their
 * appends.
 */
public final class PostgresEventStore implements EventStore {

    /** At most this many appends to one log share a transaction. */
    static final int MAX_GROUP_APPENDS = 256;
    /** An append joins a log's next transaction only while the group's estimated size stays within this. */
    static final long MAX_GROUP_BYTES = 4L << 20;

    private volatile IntConsumer commitObserver = n -> { };

    private static final String LOG_STATE = "SELECT first_position, next_position, last_arrival FROM eddy_logs WHERE name = $1";
    // State and records in one statement, so both come from the same snapshot. The window sum cuts at the
    // byte limit in the database (char_length never exceeds Java's UTF-16 length, so this keeps a superset).
    private static final String READ = """
            SELECT l.first_position, l.next_position, l.last_arrival,
                   r.position, r.partition_key, r.data, r.arrival, r.version, r.event_id, r.event_type, r.metadata::text
              FROM eddy_logs l
              LEFT JOIN LATERAL (
                   SELECT y.* FROM (
                       SELECT x.*, sum(octet_length(x.data) + char_length(x.partition_key)) OVER (ORDER BY x.position) AS running
                         FROM (SELECT * FROM eddy_records
                                WHERE log_id = l.log_id AND position >= greatest($2, l.first_position)
                                ORDER BY position LIMIT $3) x) y
                    WHERE y.running - octet_length(y.data) - char_length(y.partition_key) = 0 OR y.running <= $4
              ) r ON true
             WHERE l.name = $1
             ORDER BY r.position""";
    private static final String READ_KEY = """
            SELECT position, partition_key, data, arrival, version, event_id, event_type, metadata::text FROM eddy_records
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND partition_key = $2 AND version >= $3
             ORDER BY version LIMIT $4""";
    private static final String CURRENT_VERSION = """
            SELECT version FROM eddy_key_versions
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND partition_key = $2""";
    private static final String SEEK = """
            SELECT coalesce((SELECT b.first_position FROM eddy_batches b
                              WHERE b.log_id = l.log_id AND b.arrival >= $2 AND b.first_position >= l.first_position
                              ORDER BY b.arrival, b.first_position LIMIT 1), l.next_position)
              FROM eddy_logs l WHERE l.name = $1""";
    private static final String LOCK_LOG = "SELECT log_id, first_position, next_position FROM eddy_logs WHERE name = $1 FOR UPDATE";
    private static final String BATCH_AT =
            "SELECT max(first_position) FROM eddy_batches WHERE log_id = $1 AND first_position <= $2";
    private static final String DELETE_LOG = "DELETE FROM eddy_logs WHERE name = $1 RETURNING log_id";

    private final Vertx vertx;
    private final Pool pool;
    private final LogSequencer sequencer;
    private final Function<SqlConnection, Future<Void>> beforeCommit;
    /** The logs each log continues ({@link #declareLineage}); most logs have none. */
    private final ConcurrentHashMap<String, List<String>> lineage = new ConcurrentHashMap<>();
    private final AtomicReference<Future<Void>> closing = new AtomicReference<>();

    private PostgresEventStore(Vertx vertx, Pool pool, Function<SqlConnection, Future<Void>> beforeCommit) {
        this.vertx = vertx;
        this.pool = pool;
        this.beforeCommit = beforeCommit;
        this.sequencer = new LogSequencer(MAX_GROUP_APPENDS, MAX_GROUP_BYTES, this::appendGroup);
    }

    /**
     * Connects, creates or migrates the schema, and gives the store. Fails with
     * {@link StorageUnavailableException} naming the server when the database cannot be reached.
     */
    public static Future<PostgresEventStore> open(Vertx vertx, PostgresOptions options) {
        return open(vertx, options, null);
    }

    /** Opens with a step run inside every append transaction just before COMMIT (tests: slow or failing transactions). */
    static Future<PostgresEventStore> open(Vertx vertx, PostgresOptions options,
                                           Function<SqlConnection, Future<Void>> beforeCommit) {
        Objects.requireNonNull(vertx, "vertx");
        PgConnectOptions connect = options.connectOptions();
        Pool pool = createPool(vertx, options);
        return SchemaMigrations.migrate(pool)
                .<PostgresEventStore>map(v -> new PostgresEventStore(vertx, pool, beforeCommit))
                .recover(e -> pool.close().transform(ignored -> Future.failedFuture(new StorageUnavailableException(
                        openFailure(connect, e), e))));
    }

    static Pool createPool(Vertx vertx, PostgresOptions options) {
        return PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(options.poolSize()).setName("eddy-postgres"))
                .with(new NetClientOptions().setConnectTimeout(10_000))
                .connectingTo(options.connectOptions())
                .using(vertx)
                .build();
    }

    /**
     * Why the store did not open, naming the server: "unreachable" when no connection could be made at all
     * (refused, timed out, unknown host), so an operator at start-up can tell it from a server that answered
     * and said no (authentication, missing database: a {@link PgException}).
     */
    private static String openFailure(PgConnectOptions connect, Throwable e) {
        String where = connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase();
        if (e instanceof PgException) {
            return "cannot open the PostgreSQL event store at " + where + ": the server refused: " + describe(e);
        }
        return "cannot open the PostgreSQL event store: the database at " + where + " is unreachable: " + describe(e);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    @Override
    public String backend() {
        return "postgres";
    }

    // ---- writes ----

    @Override
    public Future<AppendResult> append(String log, AppendBatch batch) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(batch, "batch");
        return call(() -> {
            AppendTransaction.validate(batch);
            long bytes = 0;
            for (var r : batch.records()) {
                bytes += r.data().length + r.partitionKey().length() + 64;
            }
            return sequencer.append(log, batch, bytes);
        });
    }

    /** One group of appends to a log, as one transaction on a borrowed connection. */
    private Future<List<Future<AppendResult>>> appendGroup(String log, List<AppendBatch> group) {
        AppendTransaction tx = new AppendTransaction(log, lineage.getOrDefault(log, List.of()), group, beforeCommit,
                n -> commitObserver.accept(n));
        return withConnection(tx::run);
    }

    @Override
    public void declareLineage(String log, List<String> ancestors) {
        Objects.requireNonNull(log, "log");
        if (ancestors.isEmpty()) {
            lineage.remove(log);
        } else {
            lineage.put(log, List.copyOf(ancestors));
        }
    }

    @Override
    public void onCommit(IntConsumer observer) {
        commitObserver = observer;
    }

    @Override
    public Future<Long> trim(String log, long beforePosition) {
        Objects.requireNonNull(log, "log");
        return call(() -> sequencer.submit(log, () -> inTransaction(conn ->
                conn.preparedQuery(LOCK_LOG).execute(Tuple.of(log)).compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(0L);
                    }
                    Row row = rows.iterator().next();
                    long logId = row.getLong(0);
                    long first = row.getLong(1);
                    long next = row.getLong(2);
                    Future<Long> cut = beforePosition >= next ? Future.succeededFuture(next)
                            : conn.preparedQuery(BATCH_AT).execute(Tuple.of(logId, beforePosition)).map(r -> {
                                Long start = r.iterator().next().getLong(0); // the batch holding beforePosition
                                return start == null ? first : start;
                            });
                    return cut.compose(c -> {
                        long horizon = Math.max(first, c);
                        if (horizon == first) {
                            return Future.succeededFuture(first);
                        }
                        Tuple args = Tuple.of(logId, horizon);
                        return Future.all(
                                conn.preparedQuery("""
                                        WITH gone AS (DELETE FROM eddy_records WHERE log_id = $1 AND position < $2
                                                      RETURNING octet_length(data) AS n)
                                        UPDATE eddy_logs SET first_position = $2,
                                               stored_bytes = stored_bytes - (SELECT coalesce(sum(n), 0) FROM gone)
                                         WHERE log_id = $1""").execute(args),
                                conn.preparedQuery("DELETE FROM eddy_batches WHERE log_id = $1 AND first_position < $2").execute(args))
                                .map(v -> horizon);
                    });
                }))));
    }

    @Override
    public Future<Void> reclaimSpace() {
        // Not in a transaction (VACUUM cannot run in one); rows deleted by trims and deletions become free space.
        return call(() -> pool.query("VACUUM eddy_records, eddy_batches, eddy_key_versions").execute().mapEmpty());
    }

    @Override
    public Future<Void> deleteLog(String log) {
        Objects.requireNonNull(log, "log");
        lineage.remove(log);
        return call(() -> sequencer.submit(log, () -> inTransaction(conn ->
                conn.preparedQuery(DELETE_LOG).execute(Tuple.of(log)).compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.<Void>succeededFuture();
                    }
                    Tuple id = Tuple.of(rows.iterator().next().getLong(0));
                    return Future.all(
                            conn.preparedQuery("DELETE FROM eddy_records WHERE log_id = $1").execute(id),
                            conn.preparedQuery("DELETE FROM eddy_batches WHERE log_id = $1").execute(id),
                            conn.preparedQuery("DELETE FROM eddy_key_versions WHERE log_id = $1").execute(id))
                            .<Void>mapEmpty();
                }))));
    }

    @Override
    public Future<Void> put(String namespace, String key, byte[] value) {
        Tuple args = Tuple.of(Objects.requireNonNull(namespace, "namespace"), Objects.requireNonNull(key, "key"),
                io.vertx.core.buffer.Buffer.buffer(Objects.requireNonNull(value, "value").clone()));
        return call(() -> pool.preparedQuery("""
                INSERT INTO eddy_metadata (namespace, key, value) VALUES ($1, $2, $3)
                ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value""").execute(args).mapEmpty());
    }

    @Override
    public Future<Void> remove(String namespace, String key) {
        return call(() -> pool.preparedQuery("DELETE FROM eddy_metadata WHERE namespace = $1 AND key = $2")
                .execute(Tuple.of(namespace, key)).mapEmpty());
    }

    // ---- reads ----

    @Override
    public Future<ReadResult> read(String log, long fromPosition, int maxRecords, long maxBytes) {
        if (maxRecords < 1) {
            return Future.failedFuture(new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords));
        }
        return call(() -> pool.preparedQuery(READ).execute(Tuple.of(log, fromPosition, maxRecords, maxBytes)).map(rows -> {
            if (rows.size() == 0) {
                return new ReadResult(List.of(), Math.max(0, fromPosition), LogState.EMPTY);
            }
            List<StoredRecord> out = new ArrayList<>(rows.size());
            LogState state = null;
            long bytes = 0;
            for (Row row : rows) {
                if (state == null) {
                    state = new LogState(row.getLong(0), row.getLong(1), row.getLong(2));
                }
                if (row.getValue(3) == null) {
                    break; // the log has no record from there
                }
                StoredRecord r = record(row, 3);
                if (!out.isEmpty() && bytes + r.size() > maxBytes) {
                    break;
                }
                out.add(r);
                bytes += r.size();
            }
            long next = out.isEmpty() ? Math.max(fromPosition, state.firstPosition()) : out.get(out.size() - 1).position() + 1;
            return new ReadResult(Collections.unmodifiableList(out), next, state);
        }));
    }

    @Override
    public Future<List<StoredRecord>> readKey(String log, String key, long fromVersion, int maxRecords) {
        if (maxRecords < 1) {
            return Future.failedFuture(new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords));
        }
        return call(() -> pool.preparedQuery(READ_KEY).execute(Tuple.of(log, key, fromVersion, maxRecords)).map(rows -> {
            List<StoredRecord> out = new ArrayList<>(rows.size());
            for (Row row : rows) {
                out.add(record(row, 0));
            }
            return Collections.unmodifiableList(out);
        }));
    }

    @Override
    public Future<LogState> state(String log) {
        return call(() -> pool.preparedQuery(LOG_STATE).execute(Tuple.of(log)).map(rows -> {
            if (rows.size() == 0) {
                return LogState.EMPTY;
            }
            Row r = rows.iterator().next();
            return new LogState(r.getLong(0), r.getLong(1), r.getLong(2));
        }));
    }

    @Override
    public Future<Long> storedBytes(String log) {
        return call(() -> pool.preparedQuery("SELECT stored_bytes FROM eddy_logs WHERE name = $1").execute(Tuple.of(log))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0)));
    }

    @Override
    public Future<Long> seek(String log, long timestampMillis) {
        return call(() -> pool.preparedQuery(SEEK).execute(Tuple.of(log, timestampMillis))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0)));
    }

    @Override
    public Future<Long> currentVersion(String log, String key) {
        return call(() -> pool.preparedQuery(CURRENT_VERSION).execute(Tuple.of(log, key))
                .map(rows -> rows.size() == 0 ? -1L : rows.iterator().next().getLong(0)));
    }

    @Override
    public Future<byte[]> get(String namespace, String key) {
        return call(() -> pool.preparedQuery("SELECT value FROM eddy_metadata WHERE namespace = $1 AND key = $2")
                .execute(Tuple.of(namespace, key))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBuffer(0).getBytes()));
    }

    @Override
    public Future<Map<String, byte[]>> list(String namespace) {
        return call(() -> pool.preparedQuery("SELECT key, value FROM eddy_metadata WHERE namespace = $1")
                .execute(Tuple.of(namespace)).map(rows -> {
                    TreeMap<String, byte[]> sorted = new TreeMap<>(); // Java's string order, whatever the collation
                    for (Row r : rows) {
                        sorted.put(r.getString(0), r.getBuffer(1).getBytes());
                    }
                    return Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
                }));
    }

    // ---- lifecycle ----

    @Override
    public Future<Void> close() {
        Promise<Void> promise = Promise.promise();
        if (!closing.compareAndSet(null, promise.future())) {
            return closing.get();
        }
        // Appends accepted before close still run; then the pool goes.
        sequencer.drain().transform(v -> pool.close()).onComplete(promise);
        return promise.future();
    }

    private static StoredRecord record(Row row, int at) {
        String metadata = row.getString(at + 7);
        Map<String, String> headers = Map.of();
        if (metadata != null) {
            Map<String, String> m = new LinkedHashMap<>();
            new JsonObject(metadata).forEach(e -> m.put(e.getKey(), String.valueOf(e.getValue())));
            headers = m;
        }
        return new StoredRecord(row.getLong(at), row.getString(at + 1), row.getBuffer(at + 2).getBytes(),
                row.getLong(at + 3), row.getLong(at + 4), row.getString(at + 5), row.getString(at + 6), headers);
    }

    /**
     * Borrows a connection for {@code work} and gives it back after. The connection gets an exception handler:
     * without one the client prints the stack trace of every dropped connection to stderr (each time PostgreSQL
     * stops or restarts), while the failure already reaches the caller through the failed command's future,
     * as a retryable {@link StorageUnavailableException} (see {@link PgFailures}).
     */
    private <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
        return pool.getConnection().compose(conn -> {
            conn.exceptionHandler(reportedByTheFailedCommand -> { });
            return work.apply(conn).eventually(conn::close);
        });
    }

    /**
     * {@code work} in one transaction on a borrowed connection: commit on success, roll back on failure. Like
     * {@link Pool#withTransaction(Function)}, but on {@link #withConnection} (no stack traces on stderr).
     */
    private <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
        return withConnection(conn -> conn.begin().compose(tx -> work.apply(conn).compose(
                result -> tx.commit().map(result),
                failure -> tx.rollback().transform(ignored -> Future.<T>failedFuture(failure)))));
    }

    /**
     * Runs a call unless closed, maps the client's failures to the store's, and completes on the caller's
     * context (a Vert.x context is created for callers outside one).
     */
    private <T> Future<T> call(Supplier<Future<T>> work) {
        if (closing.get() != null) {
            return Future.failedFuture(new StorageUnavailableException("the event store is closed"));
        }
        Context context = vertx.getOrCreateContext();
        Future<T> f;
        try {
            f = work.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        Promise<T> promise = Promise.promise();
        f.onComplete(ar -> {
            Throwable failure = ar.failed() ? PgFailures.map(ar.cause()) : null;
            if (Vertx.currentContext() == context) {
                complete(promise, ar.result(), failure);
            } else {
                context.runOnContext(v -> complete(promise, ar.result(), failure));
            }
        });
        return promise.future();
    }

    private static <T> void complete(Promise<T> promise, T value, Throwable failure) {
        if (failure == null) {
            promise.complete(value);
        } else {
            promise.fail(failure);
        }
    }
}
