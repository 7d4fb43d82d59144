package dev.eddy.eventstore.impl;

import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * The binary formats of a stored batch, its key section and a log's trim summary. Stateless, thread-safe.
 *
 * <p>Batch: {@code format, firstPosition, arrivalMillis, count}, then per record a length prefix (so readers
 * skip records without decoding them) and {@code key, version, eventId, eventType, metadata, data}. Key
 * section: the same header, then per record {@code key, version, eventId}: everything recovery needs to
 * rebuild the in-memory indexes without reading record data. Strings are an int length ({@code -1} for
 * null) and UTF-8 bytes; all numbers big-endian.
 */
public final class BatchCodec {

    /** Bumped when a format changes; readers reject versions they do not know. */
    public static final byte FORMAT_V1 = 1;

    private static final int HEADER = 1 + 8 + 8 + 4;

    private BatchCodec() {
    }

    /** A batch blob and its key section, encoded together so their contents cannot disagree. */
    public record Encoded(byte[] batch, byte[] keySection, long dataBytes) {
    }

    /** One record's entry in a key section. */
    public interface KeyEntryConsumer {
        void accept(long position, String key, long version, String eventId);
    }

    /** Encodes a batch whose records take positions from {@code firstPosition} on; data is copied once. */
    public static Encoded encode(long firstPosition, long arrivalMillis, List<NewRecord> records, long[] versions) {
        int n = records.size();
        byte[][] keys = new byte[n][];
        byte[][] ids = new byte[n][];
        byte[][] types = new byte[n][];
        byte[][][] meta = new byte[n][][];
        int[] recordLengths = new int[n];
        long batchSize = HEADER;
        long keySize = HEADER + 8; // the entries, then the batch's data bytes
        long dataBytes = 0;
        for (int i = 0; i < n; i++) {
            NewRecord r = records.get(i);
            keys[i] = utf8(r.partitionKey());
            ids[i] = utf8(r.eventId());
            types[i] = utf8(r.eventType());
            byte[][] m = new byte[r.metadata().size() * 2][];
            int j = 0;
            for (Map.Entry<String, String> e : r.metadata().entrySet()) {
                m[j++] = utf8(e.getKey());
                m[j++] = utf8(e.getValue());
            }
            meta[i] = m;
            long len = sizeOf(keys[i]) + 8 + sizeOf(ids[i]) + sizeOf(types[i]) + 4 + 4L + r.data().length;
            for (byte[] s : m) {
                len += sizeOf(s);
            }
            if (len > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("record " + i + " is too large to store: " + len + " bytes");
            }
            recordLengths[i] = (int) len;
            dataBytes += r.data().length;
            batchSize += 4 + len;
            keySize += sizeOf(keys[i]) + 8 + sizeOf(ids[i]);
        }
        if (batchSize > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("batch is too large to store: " + batchSize + " bytes");
        }
        ByteBuffer batch = ByteBuffer.allocate((int) batchSize);
        ByteBuffer keySection = ByteBuffer.allocate((int) keySize);
        header(batch, firstPosition, arrivalMillis, n);
        header(keySection, firstPosition, arrivalMillis, n);
        for (int i = 0; i < n; i++) {
            NewRecord r = records.get(i);
            batch.putInt(recordLengths[i]);
            putString(batch, keys[i]);
            batch.putLong(versions[i]);
            putString(batch, ids[i]);
            putString(batch, types[i]);
            batch.putInt(meta[i].length / 2);
            for (byte[] s : meta[i]) {
                putString(batch, s);
            }
            batch.putInt(r.data().length);
            batch.put(r.data());

            putString(keySection, keys[i]);
            keySection.putLong(versions[i]);
            putString(keySection, ids[i]);
        }
        keySection.putLong(dataBytes);
        return new Encoded(batch.array(), keySection.array(), dataBytes);
    }

    /**
     * Decodes the records whose positions {@code wanted} accepts, in order, until {@code sink} returns false.
     * Unwanted records are skipped without decoding.
     */
    public static void decode(byte[] blob, LongPredicate wanted, Predicate<StoredRecord> sink) {
        ByteBuffer buf = ByteBuffer.wrap(blob);
        checkFormat(buf.get(), "batch");
        long first = buf.getLong();
        long arrival = buf.getLong();
        int count = buf.getInt();
        for (int i = 0; i < count; i++) {
            int len = buf.getInt();
            long position = first + i;
            if (!wanted.test(position)) {
                buf.position(buf.position() + len);
                continue;
            }
            String key = getString(buf);
            long version = buf.getLong();
            String eventId = getString(buf);
            String eventType = getString(buf);
            int metaCount = buf.getInt();
            Map<String, String> meta = Map.of();
            if (metaCount > 0) {
                Map<String, String> m = new HashMap<>(metaCount * 2);
                for (int j = 0; j < metaCount; j++) {
                    m.put(getString(buf), getString(buf));
                }
                meta = Map.copyOf(m);
            }
            byte[] data = new byte[buf.getInt()];
            buf.get(data);
            if (!sink.test(new StoredRecord(position, key, data, arrival, version, eventId, eventType, meta))) {
                return;
            }
        }
    }

    /**
     * The data bytes of the batch a key section describes, or {@code -1} for a section written before key
     * sections carried them (read the batch then).
     */
    public static long dataBytesOf(byte[] section) {
        ByteBuffer buf = ByteBuffer.wrap(section);
        checkFormat(buf.get(), "key section");
        buf.getLong();
        buf.getLong();
        int count = buf.getInt();
        for (int i = 0; i < count; i++) {
            getString(buf);
            buf.getLong();
            getString(buf);
        }
        return buf.remaining() >= 8 ? buf.getLong() : -1;
    }

    /** The data bytes of an encoded batch's records. */
    public static long dataBytesOfBatch(byte[] blob) {
        long[] total = {0};
        decode(blob, p -> true, r -> {
            total[0] += r.data().length;
            return true;
        });
        return total[0];
    }

    /** Walks a key section, giving each record's position, key, version and event id. */
    public static void decodeKeySection(byte[] section, KeyEntryConsumer consumer) {
        ByteBuffer buf = ByteBuffer.wrap(section);
        checkFormat(buf.get(), "key section");
        long first = buf.getLong();
        buf.getLong();
        int count = buf.getInt();
        for (int i = 0; i < count; i++) {
            String key = getString(buf);
            long version = buf.getLong();
            String eventId = getString(buf);
            consumer.accept(first + i, key, version, eventId);
        }
    }

    /** The arrival timestamp in a batch or key section header. */
    public static long arrivalOf(byte[] batchOrKeySection) {
        return ByteBuffer.wrap(batchOrKeySection, 9, 8).getLong();
    }

    /** The record count in a batch or key section header. */
    public static int countOf(byte[] batchOrKeySection) {
        return ByteBuffer.wrap(batchOrKeySection, 17, 4).getInt();
    }

    /** What a trim leaves behind that the remaining batches cannot tell: bounds and fully trimmed keys. */
    public record TrimSummary(long nextPosition, long lastArrivalMillis, Map<String, Long> keyVersions) {
    }

    public static byte[] encodeTrimSummary(TrimSummary summary) {
        int size = 1 + 8 + 8 + 4;
        Map<String, byte[]> keys = new HashMap<>(summary.keyVersions().size() * 2);
        for (String key : summary.keyVersions().keySet()) {
            byte[] b = utf8(key);
            keys.put(key, b);
            size += sizeOf(b) + 8;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(FORMAT_V1).putLong(summary.nextPosition()).putLong(summary.lastArrivalMillis())
                .putInt(keys.size());
        for (Map.Entry<String, Long> e : summary.keyVersions().entrySet()) {
            putString(buf, keys.get(e.getKey()));
            buf.putLong(e.getValue());
        }
        return buf.array();
    }

    public static TrimSummary decodeTrimSummary(byte[] blob) {
        ByteBuffer buf = ByteBuffer.wrap(blob);
        checkFormat(buf.get(), "trim summary");
        long next = buf.getLong();
        long lastArrival = buf.getLong();
        int n = buf.getInt();
        Map<String, Long> versions = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            versions.put(getString(buf), buf.getLong());
        }
        return new TrimSummary(next, lastArrival, versions);
    }

    private static void header(ByteBuffer buf, long first, long arrival, int count) {
        buf.put(FORMAT_V1).putLong(first).putLong(arrival).putInt(count);
    }

    private static void checkFormat(byte format, String what) {
        if (format != FORMAT_V1) {
            throw new IllegalStateException("unknown " + what + " format " + format + ", expected " + FORMAT_V1);
        }
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static long sizeOf(byte[] s) {
        return 4L + (s == null ? 0 : s.length);
    }

    private static void putString(ByteBuffer buf, byte[] s) {
        if (s == null) {
            buf.putInt(-1);
        } else {
            buf.putInt(s.length).put(s);
        }
    }

    private static String getString(ByteBuffer buf) {
        int len = buf.getInt();
        if (len < 0) {
            return null;
        }
        String s = new String(buf.array(), buf.arrayOffset() + buf.position(), len, StandardCharsets.UTF_8);
        buf.position(buf.position() + len);
        return s;
    }
}
