package dev.eddy.eventstore.spi;

/** Base of the store's failures. {@link #retryable()} tells a caller whether trying again may succeed. */
public class EventStoreException extends RuntimeException {

    public EventStoreException(String message) {
        super(message);
    }

    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether the same call may succeed later (e.g. storage temporarily unavailable). */
    public boolean retryable() {
        return false;
    }
}
