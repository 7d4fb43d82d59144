package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one log's writes one after another, in the order they were submitted, while different logs' writes run
 * in parallel; appends that queue up behind a running write are gathered into one group that runs as one write
 * (group commit). Thread-safe; never runs a write while holding its lock.
 *
 * <p>Without it two appends called in order could reach the database on two pooled connections in the
 * opposite order. (Across processes the log row's lock orders them; within one process this keeps call order.)
 * An append joins the log's last queued write only when that is a group that has not started and has room, so
 * grouping never reorders anything: a group's appends keep their submission order, and a trim or delete
 * submitted between two appends runs between them.
 */
final class LogSequencer {

    /** Runs a group of appends to one log as one write: each append's outcome, in order, as a completed future. */
    @FunctionalInterface
    interface GroupWrite {
        Future<List<Future<AppendResult>>> run(String log, List<AppendBatch> group);
    }

    /** The appends of one group, in submission order, and their callers' promises. Guarded by the lock until it starts. */
    private static final class Group {
        final List<AppendBatch> batches = new ArrayList<>();
        final List<Promise<AppendResult>> promises = new ArrayList<>();
        long bytes;

        void add(AppendBatch batch, Promise<AppendResult> promise, long size) {
            batches.add(batch);
            promises.add(promise);
            bytes += size;
        }
    }

    /** A log's last submitted write: its completion, and the write itself when it is a group still open to joiners. */
    private record Tail(Future<Void> done, Group open) {
    }

    private final int maxGroupAppends;
    private final long maxGroupBytes;
    private final GroupWrite groupWrite;
    private final Object lock = new Object();
    private final Map<String, Tail> tails = new HashMap<>(); // guarded by lock; logs with writes queued or running

    /**
     * @param maxGroupAppends at most this many appends run as one group
     * @param maxGroupBytes   an append joins a group only while the group stays within this size (a group always
     *                        takes its first append, whatever its size)
     */
    LogSequencer(int maxGroupAppends, long maxGroupBytes, GroupWrite groupWrite) {
        this.maxGroupAppends = maxGroupAppends;
        this.maxGroupBytes = maxGroupBytes;
        this.groupWrite = groupWrite;
    }

    /**
     * Queues an append of about {@code bytes} bytes: it joins the log's waiting group, or starts a new group that
     * runs once the log's earlier writes have finished (at once when there are none).
     */
    Future<AppendResult> append(String log, AppendBatch batch, long bytes) {
        Promise<AppendResult> promise = Promise.promise();
        Group group;
        Promise<Void> done;
        Future<Void> previous;
        synchronized (lock) {
            Tail tail = tails.get(log);
            Group open = tail == null ? null : tail.open();
            if (open != null && open.batches.size() < maxGroupAppends && open.bytes + bytes <= maxGroupBytes) {
                open.add(batch, promise, bytes);
                return promise.future();
            }
            group = new Group();
            group.add(batch, promise, bytes);
            done = Promise.promise();
            previous = tail == null ? null : tail.done();
            tails.put(log, new Tail(done.future(), group));
        }
        after(previous, () -> runGroup(log, group, done));
        return promise.future();
    }

    private void runGroup(String log, Group group, Promise<Void> done) {
        synchronized (lock) {
            Tail tail = tails.get(log);
            if (tail != null && tail.open() == group) {
                tails.put(log, new Tail(tail.done(), null)); // closed: later appends form the next group
            }
        }
        start(() -> groupWrite.run(log, List.copyOf(group.batches))).onComplete(ar -> {
            finish(log, done);
            for (int i = 0; i < group.promises.size(); i++) {
                group.promises.get(i).handle(ar.succeeded() ? ar.result().get(i) : Future.failedFuture(ar.cause()));
            }
        });
    }

    /** Starts {@code write}, which runs alone, once the log's earlier writes have finished (whatever their outcome). */
    <T> Future<T> submit(String log, Supplier<Future<T>> write) {
        Promise<Void> done = Promise.promise();
        Future<Void> previous;
        synchronized (lock) {
            Tail tail = tails.put(log, new Tail(done.future(), null));
            previous = tail == null ? null : tail.done();
        }
        Promise<T> result = Promise.promise();
        after(previous, () -> start(write).onComplete(ar -> {
            finish(log, done);
            result.handle(ar);
        }));
        return result.future();
    }

    /** Completes once every write submitted so far has finished. */
    Future<Void> drain() {
        List<Future<Void>> pending = new ArrayList<>();
        synchronized (lock) {
            tails.values().forEach(t -> pending.add(t.done()));
        }
        return Future.join(pending).mapEmpty();
    }

    private static void after(Future<Void> previous, Runnable start) {
        if (previous == null) {
            start.run();
        } else {
            previous.onComplete(ar -> start.run());
        }
    }

    private static <T> Future<T> start(Supplier<Future<T>> write) {
        try {
            return write.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** Forgets the log once its last write is done, then lets the next write (if any) start. */
    private void finish(String log, Promise<Void> done) {
        synchronized (lock) {
            Tail tail = tails.get(log);
            if (tail != null && tail.done() == done.future()) {
                tails.remove(log);
            }
        }
        done.complete();
    }
}
