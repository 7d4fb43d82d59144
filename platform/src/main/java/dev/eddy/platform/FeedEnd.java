package dev.eddy.platform;

/**
 * Why a feed ended by itself. Immutable.
 *
 * @param reason  the reason
 * @param shardId the shard whose read failed, for {@link Reason#FAILED}, else {@code null}
 * @param cause   the failure, for {@link Reason#FAILED}, else {@code null}
 */
public record FeedEnd(Reason reason, String shardId, Throwable cause) {

    public enum Reason {
        /** The stream was deleted (or is deleting). */
        STREAM_DELETED,
        /** A read failed with an error that retrying cannot cure. */
        FAILED
    }
}
