package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.EventStoreException;
import dev.eddy.eventstore.spi.StorageUnavailableException;
import dev.eddy.eventstore.spi.WriteObserver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.IntConsumer;

/**
 * The single thread that applies every write of a store, in submission order, and acknowledges them by
 * group commit: it drains what is queued (bounded), applies each operation, commits once, and only then
 * publishes the effects to readers and completes the futures on their callers' contexts. Thread-safe.
 *
 * <p>A failed commit (or any unexpected failure while applying) fences the store: the group's operations and
 * every later call fail with {@link StorageUnavailableException}; nothing uncommitted is ever acknowledged.
 */
final class GroupCommitWriter {

    /** One write, run on the writer thread. It must validate before changing anything. */
    @FunctionalInterface
    interface WriteOp<T> {
        /**
         * Applies the write to storage (uncommitted) and to the in-memory state. Throwing an
         * {@link EventStoreException} or {@link IllegalArgumentException} means "rejected, nothing changed";
         * anything else fences the store.
         */
        T applyBlocking(CommitGroup group) throws Exception;
    }

    /** The operations of one commit; effects registered here become visible after the commit succeeds. */
    static final class CommitGroup {
        private final List<Runnable> onCommit = new ArrayList<>();

        void afterCommit(Runnable effect) {
            onCommit.add(effect);
        }
    }

    private static final class Pending<T> {
        final WriteOp<T> op;
        final long bytes;
        final Context context;
        final long submitted = System.nanoTime();
        final Promise<T> promise = Promise.promise();
        T result;
        Throwable error;

        Pending(WriteOp<T> op, long bytes, Context context) {
            this.op = op;
            this.bytes = bytes;
            this.context = context;
        }

        void run(CommitGroup group) throws Exception {
            result = op.applyBlocking(group);
        }

        void complete(long committedAt, WriteObserver observer) {
            T r = result;
            Throwable e = error;
            context.runOnContext(v -> {
                observer.answered(System.nanoTime() - committedAt);
                if (e == null) {
                    promise.complete(r);
                } else {
                    promise.fail(e);
                }
            });
        }
    }

    private static final WriteObserver NO_OBSERVER = new WriteObserver() {
        @Override
        public void committed(int writes, long queuedNanos, long applyNanos, long syncNanos) {
        }

        @Override
        public void answered(long handbackNanos) {
        }
    };

    private final Vertx vertx;
    private final BatchStorage storage;
    private final int maxOpsPerCommit;
    private final long maxBytesPerCommit;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Object submitLock = new Object();
    private final Thread thread;
    private final Pending<Void> closeMarker;
    private boolean accepting = true; // guarded by submitLock
    private volatile StorageUnavailableException fence;

    private volatile IntConsumer commitObserver = n -> { };
    private volatile WriteObserver writeObserver = NO_OBSERVER;
    /** The engine's own work after each successful commit (its effects already published). */
    private final Runnable afterCommit;

    GroupCommitWriter(Vertx vertx, BatchStorage storage, int maxOpsPerCommit, long maxBytesPerCommit,
                      Runnable afterCommit) {
        this.vertx = vertx;
        this.afterCommit = afterCommit;
        this.storage = storage;
        this.maxOpsPerCommit = maxOpsPerCommit;
        this.maxBytesPerCommit = maxBytesPerCommit;
        this.closeMarker = new Pending<>(group -> null, 0, null);
        this.thread = new Thread(this::loop, "eddy-store-writer-" + storage.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a write; the future completes on the caller's context once the write is durable (or rejected). */
    <T> Future<T> submit(long bytes, WriteOp<T> op) {
        Pending<T> p = new Pending<>(op, bytes, vertx.getOrCreateContext());
        synchronized (submitLock) {
            StorageUnavailableException f = fence;
            if (f != null) {
                return Future.failedFuture(f);
            }
            if (!accepting) {
                return Future.failedFuture(closedException());
            }
            queue.add(p);
        }
        return p.promise.future();
    }

    /** Called on the writer thread with the number of operations of every successful commit. */
    void onCommit(IntConsumer observer) {
        commitObserver = observer;
    }

    /** Told where each commit's time goes, on the writer thread and on the callers' contexts. */
    void observe(WriteObserver observer) {
        writeObserver = observer;
    }

    /** Stops accepting writes, commits what is queued, closes the storage. Idempotent. */
    Future<Void> close() {
        Context context = vertx.getOrCreateContext();
        synchronized (submitLock) {
            if (accepting) {
                accepting = false;
                queue.add(closeMarker);
            }
        }
        return closeMarker.promise.future().transform(ar -> {
            Promise<Void> p = Promise.promise();
            context.runOnContext(v -> p.handle(ar));
            return p.future();
        });
    }

    /** Whether the store was fenced after an I/O failure. */
    StorageUnavailableException fence() {
        return fence;
    }

    static StorageUnavailableException closedException() {
        return new StorageUnavailableException("the event store is closed");
    }

    private void loop() {
        List<Pending<?>> group = new ArrayList<>();
        boolean closing = false;
        while (!closing) {
            group.clear();
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                // Nobody should interrupt this private thread; if someone does, stop writing but keep draining
                // the queue so every caller still gets an answer.
                fence(new StorageUnavailableException("the event store writer was interrupted", e));
                continue;
            }
            long bytes = group.get(0).bytes;
            Pending<?> p;
            while (group.size() < maxOpsPerCommit && bytes < maxBytesPerCommit && (p = queue.poll()) != null) {
                group.add(p);
                bytes += p.bytes;
            }
            closing = group.remove(closeMarker); // always last: submit refuses everything after it
            runGroup(group, System.nanoTime());
        }
        // Nothing can be queued after the close marker (submit checks accepting under the same lock).
        try {
            storage.closeBlocking();
            closeMarker.promise.complete();
        } catch (Throwable t) {
            closeMarker.promise.fail(new StorageUnavailableException("closing the event store failed", t));
        }
    }

    private void runGroup(List<Pending<?>> group, long started) {
        CommitGroup commitGroup = new CommitGroup();
        WriteObserver observer = writeObserver;
        if (fence == null) {
            for (Pending<?> p : group) {
                try {
                    p.run(commitGroup);
                } catch (EventStoreException | IllegalArgumentException rejected) {
                    p.error = rejected;
                } catch (Throwable t) {
                    fence(new StorageUnavailableException("the event store failed to write and was fenced: " + t, t));
                    break;
                }
            }
        }
        long applied = System.nanoTime();
        if (fence == null) {
            try {
                storage.commitBlocking();
            } catch (Throwable t) {
                fence(new StorageUnavailableException("the event store failed to commit and was fenced: " + t, t));
            }
        }
        long committed = System.nanoTime();
        if (fence == null) {
            try {
                commitGroup.onCommit.forEach(Runnable::run);
            } catch (Throwable t) {
                // Committed, so the group is answered as such; but the in-memory state may be incomplete.
                fence(new StorageUnavailableException("the event store failed after a commit and was fenced: " + t, t));
            }
            commitObserver.accept(group.size());
            if (!group.isEmpty()) {
                observer.committed(group.size(), started - group.get(0).submitted, applied - started, committed - applied);
            }
        } else {
            for (Pending<?> p : group) {
                p.error = fence;
            }
        }
        for (Pending<?> p : group) {
            p.complete(committed, observer);
        }
        if (fence == null) {
            try {
                afterCommit.run(); // after the answers: the engine's housekeeping does not delay them
            } catch (Throwable t) {
                fence(new StorageUnavailableException("the event store failed after a commit and was fenced: " + t, t));
            }
        }
    }

    private void fence(StorageUnavailableException e) {
        synchronized (submitLock) {
            if (fence == null) {
                fence = e;
            }
        }
    }
}
