package dev.eddy.eventstore.spi;

/**
 * Where the time of a store's writes goes, phase by phase, for metrics. Called on the store's own threads: an
 * implementation must be quick, thread-safe and must not block.
 */
public interface WriteObserver {

    /**
     * One commit group made durable.
     *
     * @param writes      the writes it acknowledged
     * @param queuedNanos how long its oldest write waited before the group started
     * @param applyNanos  checking and encoding the writes and handing them to storage
     * @param syncNanos   the commit itself (on MapDB: one segment-log append and its {@code fdatasync})
     */
    void committed(int writes, long queuedNanos, long applyNanos, long syncNanos);

    /** One write answered: from the end of its commit until its caller's context ran the completion. */
    void answered(long handbackNanos);
}
