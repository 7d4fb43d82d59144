package dev.eddy.api.ws;

/** A subscription request that cannot be served, with the close code that says why. Immutable. */
final class SubscribeException extends RuntimeException {

    private final short closeCode;

    SubscribeException(short closeCode, String message) {
        super(message, null, false, false);
        this.closeCode = closeCode;
    }

    short closeCode() {
        return closeCode;
    }
}
