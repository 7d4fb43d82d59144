package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.DuplicateEventIdException;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Decides a group of appends to one log, one after another in group order, against the log's state as the
 * group's transaction read it, and collects the rows that the accepted ones write. No I/O. Single use; not
 * thread-safe.
 *
 * <p>Each decision sees the effects of the appends accepted before it in the group (their positions, key
 * versions and event ids), so a group decides exactly what the same appends run one at a time would: a retry
 * of an event id stored earlier in the group is a duplicate, two appends expecting the same version cannot both
 * pass. A rejected append changes nothing.
 */
final class GroupPlan {

    /**
     * Where the record of a stored event id is: {@code log} names the ancestor holding it (see
     * {@link dev.eddy.eventstore.spi.LogLineage}), or is null for the log itself.
     */
    record StoredId(long position, long version, long arrival, String log) {
    }

    private final String log;
    /** Every key's current version ({@link ExpectedVersion#NO_VERSION} when absent), updated by accepted appends. */
    private final Map<String, Long> versions;
    /** Event ids stored before the group or by an accepted append of it. */
    private final Map<String, StoredId> ids;
    private long next;
    private long lastArrival;

    // The rows the accepted appends write, column by column.
    private final List<Long> positions = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private final List<Long> recordVersions = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>();
    private final List<String> eventIds = new ArrayList<>();
    private final List<String> eventTypes = new ArrayList<>();
    private final List<String> metadata = new ArrayList<>();
    private final List<Buffer> data = new ArrayList<>();
    private final List<Long> batchFirsts = new ArrayList<>();
    private final List<Integer> batchCounts = new ArrayList<>();
    private final List<Long> batchArrivals = new ArrayList<>();
    private final LinkedHashMap<String, Long> changedKeys = new LinkedHashMap<>();
    private long dataBytes;

    /**
     * @param next        the log's next position
     * @param lastArrival the log's last arrival timestamp (-1 for none)
     * @param versions    the stored versions of (at least) every key the group names; absent means none
     * @param ids         the stored records of (at least) every event id the group carries that is stored
     */
    GroupPlan(String log, long next, long lastArrival, Map<String, Long> versions, Map<String, StoredId> ids) {
        this.log = log;
        this.next = next;
        this.lastArrival = lastArrival;
        this.versions = new HashMap<>(versions);
        this.ids = new HashMap<>(ids);
    }

    /**
     * Decides the next append of the group: its result (a new append, or the original result of a faithful
     * retry), or its rejection as a failed future. Idempotency is checked before expectations, as a retry must
     * be answered even when its expectation no longer holds.
     */
    Future<AppendResult> add(AppendBatch batch) {
        List<NewRecord> records = batch.records();
        int n = records.size();
        int stored = 0;
        String firstStored = null;
        boolean oneHolder = true;
        for (NewRecord r : records) {
            StoredId s = r.eventId() == null ? null : ids.get(r.eventId());
            if (s != null) {
                stored++;
                if (firstStored == null) {
                    firstStored = r.eventId();
                } else {
                    oneHolder &= Objects.equals(ids.get(firstStored).log(), s.log());
                }
            }
        }
        if (stored == n && oneHolder) {
            return Future.succeededFuture(originalResult(records));
        }
        if (stored > 0) {
            return Future.failedFuture(new DuplicateEventIdException(log, firstStored));
        }
        for (var e : new TreeMap<>(batch.expectations()).entrySet()) {
            long actual = versionOf(e.getKey());
            if (!e.getValue().matches(actual)) {
                return Future.failedFuture(new WrongExpectedVersionException(log, e.getKey(), e.getValue(), actual));
            }
        }

        long first = next;
        long arrival = Math.max(batch.arrivalMillis(), lastArrival);
        long[] resultPositions = new long[n];
        long[] resultVersions = new long[n];
        for (int i = 0; i < n; i++) {
            NewRecord r = records.get(i);
            long v = versionOf(r.partitionKey()) + 1;
            versions.put(r.partitionKey(), v);
            changedKeys.put(r.partitionKey(), v); // expectation-only keys keep their version
            resultPositions[i] = first + i;
            resultVersions[i] = v;
            if (r.eventId() != null) {
                ids.put(r.eventId(), new StoredId(first + i, v, arrival, null));
            }
            positions.add(first + i);
            keys.add(r.partitionKey());
            recordVersions.add(v);
            arrivals.add(arrival);
            eventIds.add(r.eventId());
            eventTypes.add(r.eventType());
            metadata.add(r.metadata().isEmpty() ? null : new JsonObject(new HashMap<>(r.metadata())).encode());
            data.add(Buffer.buffer(r.data()));
            dataBytes += r.data().length;
        }
        batchFirsts.add(first);
        batchCounts.add(n);
        batchArrivals.add(arrival);
        next = first + n;
        lastArrival = arrival;
        return Future.succeededFuture(new AppendResult(resultPositions, resultVersions, arrival, false));
    }

    private long versionOf(String key) {
        return versions.getOrDefault(key, ExpectedVersion.NO_VERSION);
    }

    /** The result a retry gets: where its events are, with the arrival of its first one. */
    private AppendResult originalResult(List<NewRecord> records) {
        long[] p = new long[records.size()];
        long[] v = new long[records.size()];
        for (int i = 0; i < records.size(); i++) {
            StoredId s = ids.get(records.get(i).eventId());
            p[i] = s.position();
            v[i] = s.version();
        }
        StoredId first = ids.get(records.get(0).eventId());
        return new AppendResult(p, v, first.arrival(), true, first.log());
    }

    /** Whether no append of the group was accepted, so there is nothing to write. */
    boolean writesNothing() {
        return batchFirsts.isEmpty();
    }

    /** The log's next position after the accepted appends. */
    long next() {
        return next;
    }

    /** The log's last arrival timestamp after the accepted appends. */
    long lastArrival() {
        return lastArrival;
    }

    /** The data bytes the accepted appends add to the log. */
    long dataBytes() {
        return dataBytes;
    }

    // Columns for the unnest inserts (arrays the client sends as PostgreSQL arrays).

    Long[] positions() {
        return positions.toArray(Long[]::new);
    }

    String[] keys() {
        return keys.toArray(String[]::new);
    }

    Long[] versions() {
        return recordVersions.toArray(Long[]::new);
    }

    Long[] arrivals() {
        return arrivals.toArray(Long[]::new);
    }

    String[] eventIds() {
        return eventIds.toArray(String[]::new);
    }

    String[] eventTypes() {
        return eventTypes.toArray(String[]::new);
    }

    String[] metadata() {
        return metadata.toArray(String[]::new);
    }

    Buffer[] data() {
        return data.toArray(Buffer[]::new);
    }

    Long[] batchFirsts() {
        return batchFirsts.toArray(Long[]::new);
    }

    Integer[] batchCounts() {
        return batchCounts.toArray(Integer[]::new);
    }

    Long[] batchArrivals() {
        return batchArrivals.toArray(Long[]::new);
    }

    /** The keys the accepted appends changed, each once. */
    String[] changedKeys() {
        return changedKeys.keySet().toArray(String[]::new);
    }

    /** Their new versions, in the order of {@link #changedKeys()}. */
    Long[] changedVersions() {
        return changedKeys.values().toArray(Long[]::new);
    }
}
