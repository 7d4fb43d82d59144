package dev.eddy.api.ws;

import io.vertx.core.MultiMap;

import java.util.Set;

/**
 * The query parameters of a subscription. Immutable.
 *
 * @param stream    the stream name (from the path)
 * @param start     where every shard starts
 * @param key       deliver only records with exactly this partition key, or {@code null}
 * @param keyPrefix deliver only records whose partition key starts with this, or {@code null}
 * @param credit    the initial credit when the subscription starts in credit mode, or {@code -1}
 * @param group     the consumer group to join, or {@code null}; {@code start} then applies to shards the group
 *                  has no checkpoint for
 * @param sessionTimeoutMillis how long a group member may stay silent (no pong, no message) before it is
 *                  dropped and its shards move to the others
 */
record SubscribeParams(String stream, StartPosition start, String key, String keyPrefix, long credit, String group,
                       long sessionTimeoutMillis) {

    static final long DEFAULT_SESSION_TIMEOUT_MILLIS = 30_000;
    private static final long MIN_SESSION_TIMEOUT_MILLIS = 1_000;
    private static final long MAX_SESSION_TIMEOUT_MILLIS = 600_000;
    private static final Set<String> KNOWN = Set.of("from", "key", "keyPrefix", "credit", "group", "sessionTimeoutMs");

    /** Validates the query; throws {@link SubscribeException} with the close code for the first problem. */
    static SubscribeParams parse(String stream, MultiMap query) {
        for (String name : query.names()) {
            if (!KNOWN.contains(name)) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Unknown parameter '" + name
                        + "': expected from, key, keyPrefix, credit, group or sessionTimeoutMs");
            }
            if (query.getAll(name).size() > 1) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Parameter '" + name + "' given more than once");
            }
        }
        String group = query.get("group"); // its name is checked where groups live (4400 on joining)
        long sessionTimeout = DEFAULT_SESSION_TIMEOUT_MILLIS;
        String timeoutText = query.get("sessionTimeoutMs");
        if (timeoutText != null) {
            if (group == null) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "sessionTimeoutMs is only for group members");
            }
            try {
                sessionTimeout = Long.parseLong(timeoutText);
            } catch (NumberFormatException e) {
                sessionTimeout = -1;
            }
            if (sessionTimeout < MIN_SESSION_TIMEOUT_MILLIS || sessionTimeout > MAX_SESSION_TIMEOUT_MILLIS) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid sessionTimeoutMs=" + timeoutText
                        + ": expected " + MIN_SESSION_TIMEOUT_MILLIS + " to " + MAX_SESSION_TIMEOUT_MILLIS);
            }
        }
        String key = query.get("key");
        String keyPrefix = query.get("keyPrefix");
        if (key != null && keyPrefix != null) {
            throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Give key or keyPrefix, not both");
        }
        if (key != null && (key.isEmpty() || key.codePointCount(0, key.length()) > 256)) {
            throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid key: it must be 1 to 256 characters long");
        }
        if (keyPrefix != null && keyPrefix.isEmpty()) {
            throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid keyPrefix: it must not be empty");
        }
        long credit = -1;
        String creditText = query.get("credit");
        if (creditText != null) {
            try {
                credit = Long.parseLong(creditText);
            } catch (NumberFormatException e) {
                credit = -1;
            }
            if (credit < 0) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid credit=" + creditText
                        + ": expected a number of events >= 0");
            }
        }
        return new SubscribeParams(stream, StartPosition.parse(query.get("from")), key, keyPrefix, credit, group,
                sessionTimeout);
    }

    boolean matches(String partitionKey) {
        if (key != null) {
            return key.equals(partitionKey);
        }
        return keyPrefix == null || partitionKey.startsWith(keyPrefix);
    }
}
