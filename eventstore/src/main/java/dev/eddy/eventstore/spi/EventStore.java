package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.util.function.IntConsumer;

/**
 * The store contract: the role interfaces together. Logs are named by the caller (the platform uses one
 * log per shard), created on first append, and hold records at 0-based, gap-free positions.
 *
 * <p>Thread-safe: every method may be called from any thread, including a Vert.x event loop (no method
 * blocks). When called on a Vert.x context, futures complete on that context.
 */
public interface EventStore extends Appender, LogReader, LogInspector, TimestampSeeker, KeyHistoryReader,
        KeyVersionReader, Trimmer, LogDeleter, MetadataStore, LogLineage {

    /** Namespace of {@link #saveCheckpoint}/{@link #loadCheckpoint} entries in the metadata. */
    String CHECKPOINTS = "checkpoints";

    /** A short name of the backend, e.g. {@code mapdb}, for banners and metrics. */
    String backend();

    /**
     * Tells {@code observer}, after every successful commit, how many writes it made durable at once (the
     * group-commit size; 1 for a backend that commits each write on its own). The observer runs on the
     * committing thread and must be quick and must not block. Replaces an earlier observer.
     */
    default void onCommit(IntConsumer observer) {
    }

    /**
     * Tells {@code observer} where the time of writes goes (queue, apply, sync, hand-back); backends that cannot
     * tell ignore it. Replaces an earlier observer.
     */
    default void observeWrites(WriteObserver observer) {
    }

    /** Flushes and releases the backend; later calls fail with {@link StorageUnavailableException}. */
    Future<Void> close();

    /** Durably records a consumer's position under a name (e.g. group + shard). */
    default Future<Void> saveCheckpoint(String name, long position) {
        return put(CHECKPOINTS, name, ByteBuffer.allocate(Long.BYTES).putLong(position).array());
    }

    /** The position saved under the name, or {@code null} when none was saved. */
    default Future<Long> loadCheckpoint(String name) {
        return get(CHECKPOINTS, name).map(bytes -> bytes == null ? null : ByteBuffer.wrap(bytes).getLong());
    }
}
