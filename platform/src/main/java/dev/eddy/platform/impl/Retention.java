package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Increase/DecreaseStreamRetentionPeriod and the retention job. Reads hide records past a stream's period at
 * once ({@link StreamMeta#retainedFromMillis}); the job, every minute off the request path, trims them from the
 * store shard by shard, one store call at a time, then has the store reclaim their space. Thread-safe.
 */
final class Retention {

    private static final int MIN_HOURS = 24;
    private static final int MAX_HOURS = 8760;
    /** How often the job looks for records past retention. */
    private static final long CHECK_MILLIS = 60_000;
    private static final long FIRST_CHECK_MILLIS = 5_000;
    private static final System.Logger LOG = System.getLogger(Retention.class.getName());

    private final Vertx vertx;
    private final StreamsImpl streams;
    private final EventStore store;
    private final PlatformOptions options;

    Retention(Vertx vertx, StreamsImpl streams, EventStore store, PlatformOptions options) {
        this.vertx = vertx;
        this.streams = streams;
        this.store = store;
        this.options = options;
    }

    Future<Void> change(String stream, int hours, boolean increase) {
        StreamMeta meta;
        try {
            meta = streams.writableMeta(stream);
            if (hours < MIN_HOURS) {
                throw PlatformException.invalidArgument("Minimum allowed retention period is " + MIN_HOURS
                        + " hours. Requested retention period (" + hours + " hours) is too short.");
            }
            if (hours > MAX_HOURS) {
                throw PlatformException.invalidArgument("Maximum allowed retention period is " + MAX_HOURS
                        + " hours. Requested retention period (" + hours + " hours) is too long.");
            }
            if (increase && hours < meta.retentionHours()) {
                throw PlatformException.invalidArgument("Requested retention period (" + hours + " hours) for stream "
                        + stream + " can not be shorter than existing retention period (" + meta.retentionHours()
                        + " hours). Use DecreaseRetentionPeriod API.");
            }
            if (!increase && hours > meta.retentionHours()) {
                throw PlatformException.invalidArgument("Requested retention period (" + hours + " hours) for stream "
                        + stream + " can not be longer than existing retention period (" + meta.retentionHours()
                        + " hours). Use IncreaseRetentionPeriod API.");
            }
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        if (hours == meta.retentionHours()) {
            return Future.succeededFuture();
        }
        return streams.update(meta.withRetention(hours, options.clock().millis()));
    }

    /**
     * Drops every shard's records that are past its stream's retention period, stream after stream, shard after
     * shard, then reclaims their space. Returns how many records it dropped. A restart in the middle loses nothing: the next pass trims what
     * is still past retention.
     */
    Future<Long> trimExpired() {
        Future<Long> chain = Future.succeededFuture(0L);
        long now = options.clock().millis();
        for (StreamMeta meta : streams.metas()) {
            if (meta.status() != StreamStatus.ACTIVE && meta.status() != StreamStatus.UPDATING) {
                continue;
            }
            long retainedFrom = meta.retainedFromMillis(now);
            for (int i = 0; i < meta.shards().size(); i++) {
                String log = meta.logName(i);
                chain = chain.compose(dropped -> store.state(log).compose(before -> store.seek(log, retainedFrom)
                        .compose(position -> position <= before.firstPosition() ? Future.succeededFuture(dropped)
                                : store.trim(log, position).map(horizon -> dropped
                                        + Math.max(0, horizon - before.firstPosition())))));
            }
        }
        // Then the store makes the trimmed records' space reusable (PostgreSQL vacuums; MapDB frees segments itself).
        return chain.compose(dropped -> dropped > 0 ? store.reclaimSpace().map(dropped) : Future.succeededFuture(dropped));
    }

    /**
     * Runs the job a few seconds after start (so a restart in the middle of a pass finishes it soon) and every
     * minute after each pass.
     */
    void schedule() {
        schedule(FIRST_CHECK_MILLIS);
    }

    private void schedule(long delayMillis) {
        vertx.setTimer(delayMillis, id -> trimExpired()
                .onComplete(ar -> {
                    if (ar.failed()) {
                        LOG.log(System.Logger.Level.WARNING, "Trimming records past retention failed; retrying in "
                                + CHECK_MILLIS / 1000 + " s: " + ar.cause());
                    }
                    schedule(CHECK_MILLIS);
                }));
    }
}
