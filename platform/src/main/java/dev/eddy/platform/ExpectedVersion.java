package dev.eddy.platform;

/**
 * The condition an event append places on its aggregate's current version (optimistic concurrency): none, "no
 * events yet", or an exact 0-based version. Immutable.
 */
public final class ExpectedVersion {

    private static final ExpectedVersion ANY = new ExpectedVersion(Long.MIN_VALUE);
    private static final ExpectedVersion NONE = new ExpectedVersion(-1);

    private final long value;

    private ExpectedVersion(long value) {
        this.value = value;
    }

    /** No condition. */
    public static ExpectedVersion any() {
        return ANY;
    }

    /** The aggregate must have no events yet. */
    public static ExpectedVersion none() {
        return NONE;
    }

    /** The aggregate's last event must have exactly this version. */
    public static ExpectedVersion exactly(long version) {
        if (version < 0) {
            throw new IllegalArgumentException("expected version must be >= 0, got " + version);
        }
        return new ExpectedVersion(version);
    }

    public boolean isAny() {
        return this == ANY;
    }

    public boolean isNone() {
        return value == -1;
    }

    /** The exact version expected; only for neither {@link #isAny()} nor {@link #isNone()}. */
    public long version() {
        if (isAny() || isNone()) {
            throw new IllegalStateException("no exact version in " + this);
        }
        return value;
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
        return isNone() ? "none" : Long.toString(value);
    }
}
