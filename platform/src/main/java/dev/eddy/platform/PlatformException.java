package dev.eddy.platform;

/** A failure the platform reports to its callers, with a Kinesis-style kind and a message for humans. */
public class PlatformException extends RuntimeException {

    private final ErrorCode code;

    public PlatformException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public PlatformException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static PlatformException invalidArgument(String message) {
        return new PlatformException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static PlatformException notFound(String message) {
        return new PlatformException(ErrorCode.RESOURCE_NOT_FOUND, message);
    }

    public static PlatformException inUse(String message) {
        return new PlatformException(ErrorCode.RESOURCE_IN_USE, message);
    }
}
