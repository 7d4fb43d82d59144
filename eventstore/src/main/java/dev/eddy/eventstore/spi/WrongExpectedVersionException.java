package dev.eddy.eventstore.spi;

/**
 * An append's expected version did not hold; nothing was appended. Re-read the key's history and retry
 * the decision.
 */
public final class WrongExpectedVersionException extends EventStoreException {

    private final String log;
    private final String key;
    private final ExpectedVersion expected;
    private final long actual;

    public WrongExpectedVersionException(String log, String key, ExpectedVersion expected, long actual) {
        super("Key '" + key + "' in log '" + log + "' is at version "
                + (actual == ExpectedVersion.NO_VERSION ? "none (no records)" : Long.toString(actual))
                + ", expected " + expected);
        this.log = log;
        this.key = key;
        this.expected = expected;
        this.actual = actual;
    }

    public String log() {
        return log;
    }

    public String key() {
        return key;
    }

    public ExpectedVersion expected() {
        return expected;
    }

    /** The key's current version, or {@link ExpectedVersion#NO_VERSION} when it has no records. */
    public long actual() {
        return actual;
    }

    /** A retry after re-reading the key is the appropriate reaction. */
    @Override
    public boolean retryable() {
        return true;
    }
}
