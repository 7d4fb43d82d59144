package dev.eddy.platform;


/**
 * An append's expected version did not match the aggregate's current version; nothing was appended.
 * Re-read the aggregate's history, decide again, and retry with the current version.
 */
public final class VersionConflictException extends PlatformException {

    private final String stream;
    private final String key;
    private final ExpectedVersion expected;
    private final Long currentVersion;

    public VersionConflictException(String stream, String key, ExpectedVersion expected, Long currentVersion) {
        super(ErrorCode.INVALID_ARGUMENT, "Aggregate '" + key + "' in stream '" + stream + "' is at version "
                + (currentVersion == null ? "none (no events)" : currentVersion) + ", expected " + expected + ".");
        this.stream = stream;
        this.key = key;
        this.expected = expected;
        this.currentVersion = currentVersion;
    }

    public String stream() {
        return stream;
    }

    public String key() {
        return key;
    }

    public ExpectedVersion expected() {
        return expected;
    }

    /** The aggregate's current version, or {@code null} when it has no events. */
    public Long currentVersion() {
        return currentVersion;
    }
}
