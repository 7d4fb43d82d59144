package dev.eddy.api.ws;

import java.nio.charset.StandardCharsets;

/** The WebSocket close codes a subscription ends with (see the README). Constants only. */
final class CloseCodes {

    /** The client closed, or the server is shutting down. */
    static final short NORMAL = 1000;
    /** An unexpected server failure; an error frame came first. */
    static final short INTERNAL = 1011;
    /** A bad query parameter (from, key, keyPrefix, group, an unknown one); the reason names the value. */
    static final short BAD_PARAMETER = 4400;
    /** The stream does not exist (or is still being created). */
    static final short UNKNOWN_STREAM = 4404;
    /** The stream was deleted while subscribed; an error frame came first. */
    static final short STREAM_DELETED = 4410;
    /** A group member answered no ping (and sent nothing) within its session timeout; its shards moved on. */
    static final short SESSION_TIMEOUT = 4408;

    private static final int MAX_REASON_BYTES = 123;

    private CloseCodes() {
    }

    /** The reason cut to the 123 UTF-8 bytes a close frame can carry. */
    static String reason(String reason) {
        if (reason.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
            return reason;
        }
        String cut = reason;
        while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES - 3) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }
}
