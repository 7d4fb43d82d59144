package dev.eddy.eventstore.spi;

/**
 * The condition an append places on a key's current version (optimistic concurrency). Immutable.
 * Versions are 0-based; a key with no records has no version, written {@code -1} internally.
 */
public final class ExpectedVersion {

    /** Internal marker for "the key has no records". */
    public static final long NO_VERSION = -1L;

    private static final ExpectedVersion ANY = new ExpectedVersion(Long.MIN_VALUE);
    private static final ExpectedVersion NONE = new ExpectedVersion(NO_VERSION);

    private final long value;

    private ExpectedVersion(long value) {
        this.value = value;
    }

    /** No condition. */
    public static ExpectedVersion any() {
        return ANY;
    }

    /** The key must have no records yet. */
    public static ExpectedVersion none() {
        return NONE;
    }

    /** The key's last record must have exactly this version. */
    public static ExpectedVersion exactly(long version) {
        if (version < 0) {
            throw new IllegalArgumentException("expected version must be >= 0, got " + version);
        }
        return new ExpectedVersion(version);
    }

    public boolean isAny() {
        return this == ANY;
    }

    /** Whether a key whose current version is {@code current} ({@link #NO_VERSION} if none) satisfies this. */
    public boolean matches(long current) {
        return isAny() || value == current;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpectedVersion other && other.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public String toString() {
        if (isAny()) {
            return "any";
        }
        return value == NO_VERSION ? "none" : Long.toString(value);
    }
}
