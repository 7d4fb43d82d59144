package dev.eddy.eventstore.spi;

import io.vertx.core.Future;

/** Appends batches to logs. Thread-safe. */
public interface Appender {

    /**
     * Appends the batch atomically to the log (created on first append). Appends to one log are applied in
     * the order of the calls. The future succeeds only once the batch is durable; it fails with
     * {@link WrongExpectedVersionException} or {@link DuplicateEventIdException} and changes nothing when
     * a condition does not hold. When every record carries an already stored event id the result is the
     * original append's, marked {@link AppendResult#duplicate()}.
     */
    Future<AppendResult> append(String log, AppendBatch batch);
}
