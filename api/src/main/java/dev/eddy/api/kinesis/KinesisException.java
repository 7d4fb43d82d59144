package dev.eddy.api.kinesis;

/**
 * A failure as the Kinesis wire protocol reports it: the exception name sent as {@code __type}, the HTTP
 * status and a message for humans. Immutable.
 */
public final class KinesisException extends RuntimeException {

    private final String type;
    private final int status;

    public KinesisException(String type, int status, String message) {
        super(message, null, false, false);
        this.type = type;
        this.status = status;
    }

    /** The exception name, e.g. {@code ValidationException}. */
    public String type() {
        return type;
    }

    /** The HTTP status code. */
    public int status() {
        return status;
    }

    public static KinesisException validation(String message) {
        return new KinesisException("ValidationException", 400, message);
    }

    public static KinesisException invalidArgument(String message) {
        return new KinesisException("InvalidArgumentException", 400, message);
    }

    public static KinesisException serialization(String message) {
        return new KinesisException("SerializationException", 400, message);
    }

    public static KinesisException unknownOperation(String message) {
        return new KinesisException("UnknownOperationException", 400, message);
    }

    public static KinesisException resourceNotFound(String message) {
        return new KinesisException("ResourceNotFoundException", 400, message);
    }
}
