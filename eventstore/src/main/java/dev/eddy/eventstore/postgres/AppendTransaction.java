package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.NewRecord;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * A group of appends to one log as one PostgreSQL transaction on one connection (group commit), in two
 * pipelined exchanges whatever the group's size: lock the log row and read the state the group needs, decide
 * every append in order ({@link GroupPlan}), write what the accepted ones add, commit. Single use; not
 * thread-safe.
 *
 * <p>The gap problem: if positions came from a sequence, a transaction holding positions 10-11 could commit
 * after one holding 12-13, and a reader that already moved past 13 would never see 10-11. Here the first
 * statement locks the log row with an upsert, and the lock is held until commit: appends to one log are
 * serialised inside the database (also across processes), positions come from that row, so they are gap-free
 * and a position can only become visible after every lower one already is. Readers take no lock at all.
 *
 * <p>Only a failure of the transaction itself fails the group: then no append of it is visible.
 */
final class AppendTransaction {

    /** Locks the log row (creating it for a new log) and reads where the log is. */
    static final String LOCK_LOG = """
            INSERT INTO eddy_logs AS l (name, next_position) VALUES ($1, 0)
            ON CONFLICT (name) DO UPDATE SET next_position = l.next_position
            RETURNING l.log_id, l.next_position, l.last_arrival""";
    static final String KEY_VERSIONS = """
            SELECT partition_key, version FROM eddy_key_versions
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND partition_key = ANY($2::text[])""";
    static final String STORED_IDS = """
            SELECT event_id, position, version, arrival FROM eddy_records
             WHERE log_id = (SELECT log_id FROM eddy_logs WHERE name = $1) AND event_id = ANY($2::text[])""";
    /** {@link #KEY_VERSIONS} over the log and the logs it continues ($1: their names): a key's highest version. */
    static final String LINEAGE_KEY_VERSIONS = """
            SELECT partition_key, max(version) FROM eddy_key_versions
             WHERE log_id IN (SELECT log_id FROM eddy_logs WHERE name = ANY($1::text[])) AND partition_key = ANY($2::text[])
             GROUP BY partition_key""";
    /** {@link #STORED_IDS} over the log and the logs it continues ($1: their names), with the name holding each. */
    static final String LINEAGE_STORED_IDS = """
            SELECT r.event_id, r.position, r.version, r.arrival, l.name FROM eddy_records r JOIN eddy_logs l USING (log_id)
             WHERE l.name = ANY($1::text[]) AND r.event_id = ANY($2::text[])""";
    static final String INSERT_RECORDS = """
            INSERT INTO eddy_records (log_id, position, partition_key, version, arrival, event_id, event_type, metadata, data)
            SELECT $1, u.p, u.k, u.v, u.a, u.i, u.t, u.m::jsonb, u.d
              FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                          $9::bytea[]) AS u(p, k, v, a, i, t, m, d)""";
    static final String UPSERT_KEY_VERSIONS = """
            INSERT INTO eddy_key_versions (log_id, partition_key, version)
            SELECT $1, u.k, u.v FROM unnest($2::text[], $3::bigint[]) AS u(k, v)
            ON CONFLICT (log_id, partition_key) DO UPDATE SET version = excluded.version""";
    static final String INSERT_BATCHES = """
            INSERT INTO eddy_batches (log_id, first_position, record_count, arrival)
            SELECT $1, u.f, u.c, u.a FROM unnest($2::bigint[], $3::int[], $4::bigint[]) AS u(f, c, a)""";
    static final String ADVANCE_LOG =
            "UPDATE eddy_logs SET next_position = $2, last_arrival = $3, stored_bytes = stored_bytes + $4 WHERE log_id = $1";

    private final String log;
    /** The logs this log continues (see {@link dev.eddy.eventstore.spi.LogLineage}); usually empty. */
    private final List<String> ancestors;
    private final List<AppendBatch> group;
    private final Function<SqlConnection, Future<Void>> beforeCommit;
    private final IntConsumer afterCommit;

    /**
     * @param beforeCommit a step run in the transaction just before COMMIT, or null (tests)
     * @param afterCommit  told the group's size after its COMMIT succeeded
     */
    AppendTransaction(String log, List<String> ancestors, List<AppendBatch> group,
                      Function<SqlConnection, Future<Void>> beforeCommit, IntConsumer afterCommit) {
        this.log = log;
        this.ancestors = ancestors;
        this.group = group;
        this.beforeCommit = beforeCommit;
        this.afterCommit = afterCommit;
    }

    /** Rejects what no database state can make valid: the same event id twice in one batch, NUL characters. */
    static void validate(AppendBatch batch) {
        Set<String> seen = new HashSet<>();
        for (NewRecord r : batch.records()) {
            if (r.eventId() != null && !seen.add(r.eventId())) {
                throw new IllegalArgumentException("event id '" + r.eventId() + "' appears twice in one append");
            }
            requireNoNul("partition key", r.partitionKey());
            requireNoNul("event id", r.eventId());
            requireNoNul("event type", r.eventType());
            r.metadata().forEach((k, v) -> {
                requireNoNul("metadata name", k);
                requireNoNul("metadata value", v);
            });
        }
    }

    /** PostgreSQL text cannot hold U+0000; refused here, it would fail the whole group's transaction. */
    private static void requireNoNul(String what, String s) {
        if (s != null && s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the " + what + " contains the character U+0000, which PostgreSQL"
                    + " cannot store: '" + s.replace('\0', '?') + "'");
        }
    }

    /**
     * Runs the group on the connection and gives each append's outcome, in group order, as a completed future:
     * its result, or its own rejection. Fails as a whole only when the transaction fails. The caller closes the
     * connection (which rolls back if still open).
     */
    Future<List<Future<AppendResult>>> run(SqlConnection conn) {
        Set<String> keys = new LinkedHashSet<>();
        List<String> ids = new ArrayList<>();
        for (AppendBatch batch : group) {
            for (NewRecord r : batch.records()) {
                keys.add(r.partitionKey());
                if (r.eventId() != null) {
                    ids.add(r.eventId());
                }
            }
            keys.addAll(batch.expectations().keySet());
        }

        // Exchange 1, pipelined: BEGIN, lock the log row, read the keys' versions and the stored ids.
        Future<Transaction> begin = conn.begin();
        Future<RowSet<Row>> locked = conn.preparedQuery(LOCK_LOG).execute(Tuple.of(log));
        boolean lineage = !ancestors.isEmpty();
        Object logs = lineage ? lineageNames() : log;
        Future<RowSet<Row>> versions = conn.preparedQuery(lineage ? LINEAGE_KEY_VERSIONS : KEY_VERSIONS)
                .execute(Tuple.of(logs, (Object) keys.toArray(String[]::new)));
        Future<RowSet<Row>> stored = ids.isEmpty() ? Future.succeededFuture(null)
                : conn.preparedQuery(lineage ? LINEAGE_STORED_IDS : STORED_IDS)
                        .execute(Tuple.of(logs, (Object) ids.toArray(String[]::new)));

        return Future.all(begin, locked, versions, stored).compose(all -> {
            Transaction tx = begin.result();
            Row logRow = locked.result().iterator().next();
            long logId = logRow.getLong(0);
            Map<String, Long> current = new HashMap<>();
            for (Row r : versions.result()) {
                current.put(r.getString(0), r.getLong(1));
            }
            Map<String, GroupPlan.StoredId> storedIds = new HashMap<>();
            if (stored.result() != null) {
                for (Row r : stored.result()) {
                    String holder = lineage && !log.equals(r.getString(4)) ? r.getString(4) : null;
                    storedIds.put(r.getString(0),
                            new GroupPlan.StoredId(r.getLong(1), r.getLong(2), r.getLong(3), holder));
                }
            }
            GroupPlan plan = new GroupPlan(log, logRow.getLong(1), logRow.getLong(2), current, storedIds);
            List<Future<AppendResult>> outcomes = new ArrayList<>(group.size());
            for (AppendBatch batch : group) {
                outcomes.add(plan.add(batch));
            }
            if (plan.writesNothing()) {
                // Every append was a retry or rejected: nothing to make durable (and a new log row is undone).
                return tx.rollback().map(outcomes);
            }
            return write(conn, logId, plan)
                    .compose(v -> tx.commit())
                    .map(v -> {
                        afterCommit.accept(group.size());
                        return outcomes;
                    });
        });
    }

    private String[] lineageNames() {
        String[] names = new String[ancestors.size() + 1];
        names[0] = log;
        for (int i = 0; i < ancestors.size(); i++) {
            names[i + 1] = ancestors.get(i);
        }
        return names;
    }

    /** Exchange 2, pipelined: the records, the keys' new versions, the batch rows, the log row, then COMMIT. */
    private Future<Void> write(SqlConnection conn, long logId, GroupPlan plan) {
        Future<RowSet<Row>> rows = conn.preparedQuery(INSERT_RECORDS).execute(Tuple.from(List.of(logId,
                plan.positions(), plan.keys(), plan.versions(), plan.arrivals(), plan.eventIds(), plan.eventTypes(),
                plan.metadata(), plan.data())));
        Future<RowSet<Row>> keyVersions = conn.preparedQuery(UPSERT_KEY_VERSIONS)
                .execute(Tuple.of(logId, plan.changedKeys(), plan.changedVersions()));
        Future<RowSet<Row>> batches = conn.preparedQuery(INSERT_BATCHES)
                .execute(Tuple.of(logId, plan.batchFirsts(), plan.batchCounts(), plan.batchArrivals()));
        Future<RowSet<Row>> advanced = conn.preparedQuery(ADVANCE_LOG)
                .execute(Tuple.of(logId, plan.next(), plan.lastArrival(), plan.dataBytes()));
        Future<Void> hook = beforeCommit == null ? Future.succeededFuture() : beforeCommit.apply(conn);
        return Future.all(rows, keyVersions, batches, advanced, hook).mapEmpty();
    }
}
