package dev.eddy.api.kinesis;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;

/**
 * The one place that maps failures to Kinesis wire errors ({@code __type} and HTTP status). Stateless.
 */
public final class KinesisErrors {

    private KinesisErrors() {
    }

    /** The wire error for any failure; unexpected ones become {@code InternalFailure} (500). */
    public static KinesisException toWire(Throwable failure) {
        if (failure instanceof KinesisException k) {
            return k;
        }
        if (failure instanceof PlatformException p) {
            return fromCode(p.code(), p.getMessage());
        }
        if (failure != null && failure.getCause() instanceof PlatformException p) {
            return fromCode(p.code(), p.getMessage());
        }
        return new KinesisException("InternalFailure", 500,
                "Internal failure" + (failure == null || failure.getMessage() == null ? "" : ": " + failure.getMessage()));
    }

    /** The wire error of a platform error code. */
    public static KinesisException fromCode(ErrorCode code, String message) {
        return switch (code) {
            case INVALID_ARGUMENT -> new KinesisException("InvalidArgumentException", 400, message);
            case RESOURCE_NOT_FOUND -> new KinesisException("ResourceNotFoundException", 400, message);
            case RESOURCE_IN_USE -> new KinesisException("ResourceInUseException", 400, message);
            case LIMIT_EXCEEDED -> new KinesisException("LimitExceededException", 400, message);
            case EXPIRED_ITERATOR -> new KinesisException("ExpiredIteratorException", 400, message);
            case PROVISIONED_THROUGHPUT_EXCEEDED ->
                    new KinesisException("ProvisionedThroughputExceededException", 400, message);
            case SERVICE_UNAVAILABLE -> new KinesisException("ServiceUnavailable", 503, message);
            case INTERNAL_FAILURE -> new KinesisException("InternalFailure", 500, message);
        };
    }
}
