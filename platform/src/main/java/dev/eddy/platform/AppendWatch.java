package dev.eddy.platform;

/** A registration made with {@link Streams#onAppend}; cancel it when the listener is done. Thread-safe. */
@FunctionalInterface
public interface AppendWatch {

    /** Stops the wake-ups. Idempotent. */
    void cancel();
}
