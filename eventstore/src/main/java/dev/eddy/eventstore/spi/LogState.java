package dev.eddy.eventstore.spi;

/**
 * A snapshot of a log's bounds. Immutable.
 *
 * @param firstPosition     the oldest readable position (the trim horizon); equals {@code nextPosition} when empty
 * @param nextPosition      the position the next append will get; everything below it is durable
 * @param lastArrivalMillis arrival timestamp of the newest record, or {@code -1} when the log has none
 */
public record LogState(long firstPosition, long nextPosition, long lastArrivalMillis) {

    public static final LogState EMPTY = new LogState(0, 0, -1);

    public boolean isEmpty() {
        return firstPosition >= nextPosition;
    }
}
