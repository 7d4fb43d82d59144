package dev.eddy.eventstore.postgres;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs one log's writes one after another, in the order they were submitted, while different logs' writes run
 * in parallel. Thread-safe.
 *
 * <p>Without it two appends called in order could reach the database on two pooled connections in the
 * opposite order. (Across processes the log row's lock orders them; within one process this keeps call order.)
 */
final class LogSequencer {

    private final ConcurrentHashMap<String, Future<Void>> tails = new ConcurrentHashMap<>();

    /** Starts {@code write} once the log's earlier writes have finished (whatever their outcome). */
    <T> Future<T> submit(String log, Supplier<Future<T>> write) {
        Promise<Void> done = Promise.promise();
        Future<Void> mine = done.future();
        Future<Void> previous = tails.put(log, mine);
        Promise<T> result = Promise.promise();
        Runnable start = () -> {
            Future<T> f;
            try {
                f = write.get();
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
                tails.remove(log, mine);
                done.complete();
                result.handle(ar);
            });
        };
        if (previous == null) {
            start.run();
        } else {
            previous.onComplete(ar -> start.run());
        }
        return result.future();
    }

    /** Completes once every write submitted so far has finished. */
    Future<Void> drain() {
        List<Future<Void>> pending = new ArrayList<>(tails.values());
        return Future.join(pending).mapEmpty();
    }
}
