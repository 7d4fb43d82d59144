package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.AppendBatch;
import dev.eddy.eventstore.AppendResult;
import dev.eddy.eventstore.DuplicateEventIdException;
import dev.eddy.eventstore.ExpectedVersion;
import dev.eddy.eventstore.NewRecord;
import dev.eddy.eventstore.WrongExpectedVersionException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One append as one PostgreSQL transaction on one connection, in two pipelined exchanges. Single use; not
 * thread-safe.
 *
 * <p>The gap problem: if positions came from a sequence, a transaction holding positions 10-11 could commit
 * after one holding 12-13, and a reader that already moved past 13 would never see 10-11. Here the first
 * statement advances the log row's {@code next_position} with an upsert, which takes that row's lock until
 * commit: appends to one log are serialised inside the database, so positions are gap-free and a position
 * can only become visible after every lower one already is. Readers take no lock at all.
 */
final class AppendTransaction {

    static final String ADVANCE_LOG = """
            INSERT INTO eddy_logs AS l (name, next_position, last_arrival, stored_bytes) VALUES ($1, $2, $3, $4)
            ON CONFLICT (name) DO UPDATE
               SET next_position = l.next_position + excluded.next_position,
                   last_arrival = greatest(l.last_arrival, excluded.last_arrival),
                   stored_bytes = l.stored_bytes + excluded.stored_bytes
            RETURNING l.log_id, l.next_position - $2 AS first_position, l.last_arrival""";
    static final String KEY_VERSIONS = """
            SELECT partition_key, version FROM eddy_key_versions
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND partition_key = ANY($2::text[])""";
    static final String STORED_IDS = """
            SELECT event_id, position, version, arrival FROM eddy_records
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND event_id = ANY($2::text[])""";
    static final String INSERT_RECORDS = """
            INSERT INTO eddy_records (log_id, position, partition_key, version, arrival, event_id, event_type, metadata, data)
            SELECT $1, $2 + u.ord - 1, u.k, u.v, $3, u.i, u.t, u.m::jsonb, u.d
              FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bytea[])
                   WITH ORDINALITY AS u(k, v, i, t, m, d, ord)""";
    static final String UPSERT_KEY_VERSIONS = """
            INSERT INTO eddy_key_versions (log_id, partition_key, version)
            SELECT $1, u.k, u.v FROM unnest($2::text[], $3::bigint[]) AS u(k, v)
            ON CONFLICT (log_id, partition_key) DO UPDATE SET version = excluded.version""";
    static final String INSERT_BATCH =
            "INSERT INTO eddy_batches (log_id, first_position, record_count, arrival) VALUES ($1, $2, $3, $4)";

    private final String log;
    private final AppendBatch batch;
    private final Function<SqlConnection, Future<Void>> beforeCommit;

    AppendTransaction(String log, AppendBatch batch, Function<SqlConnection, Future<Void>> beforeCommit) {
        this.log = log;
        this.batch = batch;
        this.beforeCommit = beforeCommit;
    }

    /** Rejects what no database state can make valid: the same event id twice in one batch. */
    static void validate(AppendBatch batch) {
        Map<String, Integer> seen = new HashMap<>();
        for (NewRecord r : batch.records()) {
            if (r.eventId() != null && seen.put(r.eventId(), 1) != null) {
                throw new IllegalArgumentException("event id '" + r.eventId() + "' appears twice in one append");
            }
        }
    }

    /** Runs the append on the connection; the caller closes the connection (which rolls back if still open). */
    Future<AppendResult> run(SqlConnection conn) {
        List<NewRecord> records = batch.records();
        int n = records.size();
        List<String> ids = new ArrayList<>();
        for (NewRecord r : records) {
            if (r.eventId() != null) {
                ids.add(r.eventId());
            }
        }
        LinkedHashMap<String, Long> current = new LinkedHashMap<>();
        for (NewRecord r : records) {
            current.put(r.partitionKey(), ExpectedVersion.NO_VERSION);
        }
        batch.expectations().keySet().forEach(k -> current.put(k, ExpectedVersion.NO_VERSION));

        // Exchange 1, pipelined: BEGIN, lock and advance the log row, read the keys' versions and stored ids.
        Future<Transaction> begin = conn.begin();
        long dataBytes = 0;
        for (NewRecord r : records) {
            dataBytes += r.data().length;
        }
        Future<RowSet<Row>> advanced = conn.preparedQuery(ADVANCE_LOG)
                .execute(Tuple.of(log, (long) n, batch.arrivalMillis(), dataBytes));
        Future<RowSet<Row>> versions = conn.preparedQuery(KEY_VERSIONS)
                .execute(Tuple.of(log, (Object) current.keySet().toArray(String[]::new)));
        Future<RowSet<Row>> stored = ids.isEmpty() ? Future.succeededFuture(null)
                : conn.preparedQuery(STORED_IDS).execute(Tuple.of(log, (Object) ids.toArray(String[]::new)));

        return Future.all(begin, advanced, versions, stored).compose(all -> {
            Transaction tx = begin.result();
            Row logRow = advanced.result().iterator().next();
            long logId = logRow.getLong(0);
            long first = logRow.getLong(1);
            long arrival = logRow.getLong(2);
            for (Row r : versions.result()) {
                current.put(r.getString(0), r.getLong(1));
            }
            AppendResult duplicate = null;
            RuntimeException rejection = null;
            if (stored.result() != null && stored.result().size() > 0) {
                Map<String, Row> found = new HashMap<>();
                for (Row r : stored.result()) {
                    found.put(r.getString(0), r);
                }
                if (found.size() == n) {
                    duplicate = originalResult(found);
                } else {
                    String id = records.stream().map(NewRecord::eventId).filter(found::containsKey).findFirst().orElseThrow();
                    rejection = new DuplicateEventIdException(log, id);
                }
            }
            if (duplicate == null && rejection == null) {
                rejection = checkExpectations(current);
            }
            if (duplicate != null || rejection != null) {
                AppendResult answer = duplicate;
                RuntimeException failure = rejection;
                return tx.rollback().transform(ignored -> failure != null
                        ? Future.failedFuture(failure) : Future.succeededFuture(answer));
            }
            return write(conn, tx, logId, first, arrival, current);
        });
    }

    private AppendResult originalResult(Map<String, Row> found) {
        List<NewRecord> records = batch.records();
        long[] positions = new long[records.size()];
        long[] versions = new long[records.size()];
        long arrival = -1;
        for (int i = 0; i < records.size(); i++) {
            Row r = found.get(records.get(i).eventId());
            positions[i] = r.getLong(1);
            versions[i] = r.getLong(2);
            arrival = i == 0 ? r.getLong(3) : arrival;
        }
        return new AppendResult(positions, versions, arrival, true);
    }

    private RuntimeException checkExpectations(Map<String, Long> current) {
        for (var e : new TreeMap<>(batch.expectations()).entrySet()) {
            long actual = current.get(e.getKey());
            if (!e.getValue().matches(actual)) {
                return new WrongExpectedVersionException(log, e.getKey(), e.getValue(), actual);
            }
        }
        return null;
    }

    /** Exchange 2, pipelined: the rows, the keys' new versions, the batch row; then COMMIT. */
    private Future<AppendResult> write(SqlConnection conn, Transaction tx, long logId, long first, long arrival,
                                       Map<String, Long> current) {
        List<NewRecord> records = batch.records();
        int n = records.size();
        String[] keys = new String[n];
        Long[] versionCol = new Long[n];
        String[] ids = new String[n];
        String[] types = new String[n];
        String[] metadata = new String[n];
        Buffer[] data = new Buffer[n];
        long[] positions = new long[n];
        long[] versions = new long[n];
        for (int i = 0; i < n; i++) {
            NewRecord r = records.get(i);
            long v = current.merge(r.partitionKey(), 1L, (old, one) -> old + 1);
            keys[i] = r.partitionKey();
            versionCol[i] = v;
            versions[i] = v;
            positions[i] = first + i;
            ids[i] = r.eventId();
            types[i] = r.eventType();
            metadata[i] = r.metadata().isEmpty() ? null : new JsonObject(new HashMap<>(r.metadata())).encode();
            data[i] = Buffer.buffer(r.data());
        }
        // Only the batch's keys change; expectation-only keys keep their version.
        LinkedHashMap<String, Long> last = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            last.put(keys[i], versionCol[i]);
        }
        Future<RowSet<Row>> rows = conn.preparedQuery(INSERT_RECORDS).execute(Tuple.from(List.of(
                logId, first, arrival, keys, versionCol, ids, types, metadata, data)));
        Future<RowSet<Row>> keyVersions = conn.preparedQuery(UPSERT_KEY_VERSIONS).execute(Tuple.of(
                logId, last.keySet().toArray(String[]::new), last.values().toArray(Long[]::new)));
        Future<RowSet<Row>> batchRow = conn.preparedQuery(INSERT_BATCH).execute(Tuple.of(logId, first, n, arrival));
        Future<Void> hook = beforeCommit == null ? Future.succeededFuture() : beforeCommit.apply(conn);
        return Future.all(rows, keyVersions, batchRow, hook)
                .compose(all -> tx.commit())
                .map(v -> new AppendResult(positions, versions, arrival, false));
    }
}
