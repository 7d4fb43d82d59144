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
 */
record SubscribeParams(String stream, StartPosition start, String key, String keyPrefix, long credit) {

    private static final Set<String> KNOWN = Set.of("from", "key", "keyPrefix", "credit", "group");

    /** Validates the query; throws {@link SubscribeException} with the close code for the first problem. */
    static SubscribeParams parse(String stream, MultiMap query) {
        for (String name : query.names()) {
            if (!KNOWN.contains(name)) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Unknown parameter '" + name
                        + "': expected from, key, keyPrefix or credit");
            }
            if (query.getAll(name).size() > 1) {
                throw new SubscribeException(CloseCodes.BAD_PARAMETER, "Parameter '" + name + "' given more than once");
            }
        }
        if (query.contains("group")) {
            throw new SubscribeException(CloseCodes.NOT_SUPPORTED,
                    "Consumer groups (group=" + query.get("group") + ") are not supported yet; subscribe without group");
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
        return new SubscribeParams(stream, StartPosition.parse(query.get("from")), key, keyPrefix, credit);
    }

    boolean matches(String partitionKey) {
        if (key != null) {
            return key.equals(partitionKey);
        }
        return keyPrefix == null || partitionKey.startsWith(keyPrefix);
    }
}
