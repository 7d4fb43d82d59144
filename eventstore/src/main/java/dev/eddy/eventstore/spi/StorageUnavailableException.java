package dev.eddy.eventstore.spi;

/**
 * The backend cannot serve the call right now (closed, fenced after an I/O error, or unreachable).
 * Nothing acknowledged is lost; the call may be retried.
 */
public final class StorageUnavailableException extends EventStoreException {

    public StorageUnavailableException(String message) {
        super(message);
    }

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
