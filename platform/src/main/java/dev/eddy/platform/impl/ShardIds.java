package dev.eddy.platform.impl;

/** Shard ids {@code shardId-000000000000} and their indexes. Stateless, thread-safe. */
public final class ShardIds {

    private ShardIds() {
    }

    public static String of(int index) {
        return String.format("shardId-%012d", index);
    }

    /** The index named by a shard id, or -1 when it is not a well-formed id. Accepts a bare number too. */
    public static int index(String shardId) {
        String digits = shardId.startsWith("shardId-") ? shardId.substring("shardId-".length()) : shardId;
        if (digits.isEmpty() || digits.length() > 12) {
            return -1;
        }
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return -1;
            }
        }
        long value = Long.parseLong(digits);
        return value > Integer.MAX_VALUE ? -1 : (int) value;
    }
}
