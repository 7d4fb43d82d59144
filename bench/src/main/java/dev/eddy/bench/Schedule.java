package dev.eddy.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The producer's open-loop plan in subscribe mode: record {@code i} is due at {@code start + i / rate}, whatever
 * happened to earlier records, plus when each was actually handed to the SDK. Thread-safe: {@link #begin} is
 * called once before any record is sent; the send times are atomic.
 */
final class Schedule {

    private final long total;
    private final long warmupRecords;
    private final int rate;
    private final AtomicLongArray sentNanos;
    private volatile long startNanos;

    Schedule(int rate, long total, long warmupRecords) {
        this.rate = rate;
        this.total = total;
        this.warmupRecords = warmupRecords;
        this.sentNanos = new AtomicLongArray((int) total);
    }

    void begin(long startNanos) {
        this.startNanos = startNanos;
    }

    long total() {
        return total;
    }

    /** Whether record {@code id} is past the warm-up, so its latency counts. */
    boolean measured(long id) {
        return id >= warmupRecords;
    }

    long measuredRecords() {
        return total - warmupRecords;
    }

    /** The {@code System.nanoTime()} at which record {@code id} is due. */
    long dueNanos(long id) {
        return startNanos + id * 1_000_000_000L / rate;
    }

    void sent(long id, long nanos) {
        sentNanos.set((int) id, nanos);
    }

    /** When the record was handed to the SDK, or 0 if not yet. */
    long sentNanos(long id) {
        return sentNanos.get((int) id);
    }

    /** The data of record {@code id}: {@code {"id":<id>,"pad":"xx..."}}, {@code size} bytes of UTF-8 JSON. */
    static byte[] data(long id, int size) {
        String head = "{\"id\":" + id + ",\"pad\":\"";
        int pad = Math.max(0, size - head.length() - 2);
        StringBuilder sb = new StringBuilder(head.length() + pad + 2).append(head);
        sb.append("x".repeat(pad)).append("\"}");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
