package dev.eddy.api.kinesis;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Collects violations of the Kinesis API reference's member constraints and reports them the way AWS
 * does: {@code N validation error(s) detected: Value 'x' at 'member' failed to satisfy constraint: ...}.
 * Not thread-safe (one per request).
 */
public final class Validator {

    public static final String NAME_PATTERN = "[a-zA-Z0-9_.-]+";
    public static final String ARN_PATTERN = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
    public static final String HASH_KEY_PATTERN = "0|([1-9]\\d{0,38})";
    public static final String SEQUENCE_NUMBER_PATTERN = "0|([1-9]\\d{0,128})";
    public static final String STREAM_ID_PATTERN = "[a-z0-9]{20}-[a-z0-9]{3}";

    /** AWS reports at most this many violations. */
    private static final int MAX_REPORTED = 10;

    private final List<String> errors = new ArrayList<>();

    public Validator required(String path, Object value) {
        if (value == null) {
            add("null", path, "Member must not be null");
        }
        return this;
    }

    /** Length in characters, as the reference's "Length Constraints" for strings. */
    public Validator length(String path, String value, int min, int max) {
        if (value != null) {
            if (value.length() < min) {
                add(quote(value), path, "Member must have length greater than or equal to " + min);
            }
            if (value.length() > max) {
                add(quote(value), path, "Member must have length less than or equal to " + max);
            }
        }
        return this;
    }

    public Validator pattern(String path, String value, Pattern pattern) {
        if (value != null && !pattern.matcher(value).matches()) {
            add(quote(value), path, "Member must satisfy regular expression pattern: " + pattern.pattern());
        }
        return this;
    }

    /** A stream name: 1..128 characters of {@code [a-zA-Z0-9_.-]}. */
    public Validator streamName(String path, String value) {
        return length(path, value, 1, 128).pattern(path, value, Patterns.NAME);
    }

    public Validator streamArn(String path, String value) {
        return length(path, value, 1, 2048).pattern(path, value, Patterns.ARN);
    }

    public Validator shardId(String path, String value) {
        return length(path, value, 1, 128).pattern(path, value, Patterns.NAME);
    }

    public Validator streamId(String path, String value) {
        return length(path, value, 1, 24).pattern(path, value, Patterns.STREAM_ID);
    }

    public Validator range(String path, Integer value, long min, long max) {
        if (value != null) {
            if (value < min) {
                add(quote(String.valueOf(value)), path, "Member must have value greater than or equal to " + min);
            }
            if (value > max) {
                add(quote(String.valueOf(value)), path, "Member must have value less than or equal to " + max);
            }
        }
        return this;
    }

    public Validator blobLength(String path, byte[] value, int max) {
        if (value != null && value.length > max) {
            add(quote("java.nio.HeapByteBuffer[pos=0 lim=" + value.length + " cap=" + value.length + "]"), path,
                    "Member must have length less than or equal to " + max);
        }
        return this;
    }

    /** The number of entries of a list or map. */
    public Validator size(String path, Integer size, int min, int max) {
        if (size != null) {
            if (size < min) {
                add(null, path, "Member must have length greater than or equal to " + min);
            }
            if (size > max) {
                add(null, path, "Member must have length less than or equal to " + max);
            }
        }
        return this;
    }

    public <E extends Enum<E>> Validator oneOf(String path, String value, Class<E> values) {
        if (value != null) {
            for (E e : values.getEnumConstants()) {
                if (e.name().equals(value)) {
                    return this;
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : values.getEnumConstants()) {
                names.add(e.name());
            }
            add(quote(value), path, "Member must satisfy enum value set: [" + String.join(", ", names) + "]");
        }
        return this;
    }

    /** Adds a violation with a custom constraint message. */
    public Validator violation(String value, String path, String constraint) {
        add(value == null ? null : quote(value), path, constraint);
        return this;
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** Throws the {@code ValidationException} that reports every violation collected, if any. */
    public void check() {
        if (!errors.isEmpty()) {
            throw KinesisException.validation(errors.size() + " validation error" + (errors.size() > 1 ? "s" : "")
                    + " detected: " + String.join("; ", errors));
        }
    }

    private void add(String shownValue, String path, String constraint) {
        if (errors.size() < MAX_REPORTED) {
            errors.add("Value " + (shownValue == null ? "" : shownValue + " ") + "at '" + path
                    + "' failed to satisfy constraint: " + constraint);
        }
    }

    private static String quote(String value) {
        return "'" + (value.length() <= 1024 ? value : value.substring(0, 1024) + "...") + "'";
    }

    /** Compiled patterns of the reference. */
    static final class Patterns {
        static final Pattern NAME = Pattern.compile(NAME_PATTERN);
        static final Pattern ARN = Pattern.compile(ARN_PATTERN);
        static final Pattern HASH_KEY = Pattern.compile(HASH_KEY_PATTERN);
        static final Pattern SEQUENCE_NUMBER = Pattern.compile(SEQUENCE_NUMBER_PATTERN);
        static final Pattern STREAM_ID = Pattern.compile(STREAM_ID_PATTERN);

        private Patterns() {
        }
    }
}
