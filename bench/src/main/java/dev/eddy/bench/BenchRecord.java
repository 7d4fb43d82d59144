package dev.eddy.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The self-describing data of one bench record: a header (record id, key index, per-key counter, payload
 * length, checksum) and a pseudo-random payload. Stateless and thread-safe.
 *
 * <p>Layout, big-endian: magic (4) | record id (8) | key index (4) | key counter (8) | payload length (4) |
 * CRC32C of everything before it plus the payload (4) | payload.
 */
final class BenchRecord {

    static final int MAGIC = 0xEDD1BE01;
    static final int HEADER_SIZE = 32;
    private static final int CRC_OFFSET = 28;

    /** A decoded record header; {@code valid} is false when the magic, length or checksum is wrong. */
    record Header(boolean valid, long recordId, int keyIndex, long keyCounter) {
        static final Header INVALID = new Header(false, -1, -1, -1);
    }

    private BenchRecord() {
    }

    /** The partition key of a key index. */
    static String partitionKey(int keyIndex) {
        return "bench-key-" + keyIndex;
    }

    /** The data of a record of {@code size} bytes (at least {@link #HEADER_SIZE}). */
    static byte[] encode(long recordId, int keyIndex, long keyCounter, int size) {
        byte[] data = new byte[size];
        ByteBuffer buf = ByteBuffer.wrap(data);
        buf.putInt(MAGIC).putLong(recordId).putInt(keyIndex).putLong(keyCounter).putInt(size - HEADER_SIZE);
        SplittableRandom random = new SplittableRandom(recordId * 0x9E3779B97F4A7C15L + 17);
        int i = HEADER_SIZE;
        for (; i + 8 <= size; i += 8) {
            long r = random.nextLong();
            for (int b = 0; b < 8; b++) {
                data[i + b] = (byte) (r >>> (b * 8));
            }
        }
        for (; i < size; i++) {
            data[i] = (byte) random.nextInt();
        }
        buf.putInt(CRC_OFFSET, checksum(data));
        return data;
    }

    /** Decodes and checks a record's data. */
    static Header decode(byte[] data) {
        if (data.length < HEADER_SIZE) {
            return Header.INVALID;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        if (buf.getInt(0) != MAGIC || buf.getInt(24) != data.length - HEADER_SIZE
                || buf.getInt(CRC_OFFSET) != checksum(data)) {
            return Header.INVALID;
        }
        return new Header(true, buf.getLong(4), buf.getInt(12), buf.getLong(16));
    }

    private static int checksum(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, CRC_OFFSET);
        crc.update(data, HEADER_SIZE, data.length - HEADER_SIZE);
        return (int) crc.getValue();
    }
}
