package dev.eddy.api.kinesis;

import io.vertx.core.buffer.Buffer;

import java.util.Arrays;

/**
 * Accumulates a request body into one array (sized from Content-Length when known) up to a limit; past
 * the limit it only counts, so the client can finish sending and get a proper error instead of a reset.
 * Not thread-safe (one per request, used on its event loop).
 */
final class BodyCollector {

    private final int limit;
    private byte[] bytes;
    private int length;
    private long seen;

    BodyCollector(int limit, long contentLength) {
        this.limit = limit;
        int initial = contentLength >= 0 && contentLength <= limit ? (int) contentLength : Math.min(limit, 8192);
        this.bytes = new byte[initial];
    }

    void append(Buffer chunk) {
        int n = chunk.length();
        seen += n;
        if (seen > limit) {
            bytes = null; // drop what we have; the request will be rejected
            return;
        }
        if (length + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max((long) bytes.length * 2, length + n)));
        }
        chunk.getBytes(0, n, bytes, length);
        length += n;
    }

    boolean overflowed() {
        return seen > limit;
    }

    long seen() {
        return seen;
    }

    byte[] array() {
        return bytes;
    }

    int length() {
        return length;
    }
}
