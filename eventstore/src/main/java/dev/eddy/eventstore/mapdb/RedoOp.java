package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.impl.MetadataKey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One storage write as recorded in the {@link SegmentLog} (and in the {@link RedoLog} of older stores), and its binary
 * form. Immutable. Logs are named by their log
 * name: at any moment at most one stored log is attached to a name, and every write but {@link Create} addresses
 * that one.
 */
sealed interface RedoOp {

    /** Bytes of its encoded form. */
    int size();

    void encode(ByteBuffer out);

    record Create(String log) implements RedoOp {
        public int size() { return 1 + strSize(log); }
        public void encode(ByteBuffer out) { putStr(out.put((byte) 1), log); }
    }

    record Detach(String log) implements RedoOp {
        public int size() { return 1 + strSize(log); }
        public void encode(ByteBuffer out) { putStr(out.put((byte) 2), log); }
    }

    record PutBatch(String log, long first, byte[] batch, byte[] keySection) implements RedoOp {
        public int size() { return 1 + strSize(log) + 8 + 4 + batch.length + 4 + keySection.length; }
        /** Where the batch's bytes start in the encoded op. */
        int batchOffset() { return 1 + strSize(log) + 8 + 4; }
        /** Where the key section's bytes start in the encoded op. */
        int keyOffset() { return batchOffset() + batch.length + 4; }
        public void encode(ByteBuffer out) {
            putStr(out.put((byte) 3), log);
            out.putLong(first).putInt(batch.length).put(batch).putInt(keySection.length).put(keySection);
        }
    }

    record RemoveBatches(String log, long[] firsts) implements RedoOp {
        public int size() { return 1 + strSize(log) + 4 + 8 * firsts.length; }
        public void encode(ByteBuffer out) {
            putStr(out.put((byte) 4), log);
            out.putInt(firsts.length);
            for (long f : firsts) {
                out.putLong(f);
            }
        }
    }

    record PutTrimSummary(String log, byte[] summary) implements RedoOp {
        public int size() { return 1 + strSize(log) + 4 + summary.length; }
        public void encode(ByteBuffer out) { putStr(out.put((byte) 5), log).putInt(summary.length).put(summary); }
    }

    record PutMetadata(MetadataKey key, byte[] value) implements RedoOp {
        public int size() { return 1 + strSize(key.encoded()) + 4 + value.length; }
        public void encode(ByteBuffer out) { putStr(out.put((byte) 6), key.encoded()).putInt(value.length).put(value); }
    }

    record RemoveMetadata(MetadataKey key) implements RedoOp {
        public int size() { return 1 + strSize(key.encoded()); }
        public void encode(ByteBuffer out) { putStr(out.put((byte) 7), key.encoded()); }
    }

    /** Bytes of {@link #encodeAll}'s output. */
    static int sizeOfAll(List<RedoOp> ops) {
        int size = 4;
        for (RedoOp op : ops) {
            size += op.size();
        }
        return size;
    }

    /** Encodes a commit's writes as one entry payload (a count, then each op) into {@code out}, flipped. */
    static ByteBuffer encodeAll(List<RedoOp> ops, ByteBuffer out) {
        out.clear().putInt(ops.size());
        for (RedoOp op : ops) {
            op.encode(out);
        }
        return out.flip();
    }

    /** Decodes what {@link #encodeAll} wrote; throws {@link IllegalArgumentException} if it is malformed. */
    static List<RedoOp> decodeAll(byte[] payload) {
        try {
            ByteBuffer in = ByteBuffer.wrap(payload);
            int n = in.getInt();
            List<RedoOp> ops = new ArrayList<>(Math.min(n, 1024));
            for (int i = 0; i < n; i++) {
                byte tag = in.get();
                ops.add(switch (tag) {
                    case 1 -> new Create(getStr(in));
                    case 2 -> new Detach(getStr(in));
                    case 3 -> new PutBatch(getStr(in), in.getLong(), getBytes(in), getBytes(in));
                    case 4 -> {
                        String log = getStr(in);
                        long[] firsts = new long[in.getInt()];
                        for (int j = 0; j < firsts.length; j++) {
                            firsts[j] = in.getLong();
                        }
                        yield new RemoveBatches(log, firsts);
                    }
                    case 5 -> new PutTrimSummary(getStr(in), getBytes(in));
                    case 6 -> new PutMetadata(MetadataKey.decode(getStr(in)), getBytes(in));
                    case 7 -> new RemoveMetadata(MetadataKey.decode(getStr(in)));
                    default -> throw new IllegalArgumentException("unknown redo op " + tag);
                });
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes after the last redo op");
            }
            return ops;
        } catch (RuntimeException e) {
            throw e instanceof IllegalArgumentException iae ? iae
                    : new IllegalArgumentException("malformed redo entry: " + e, e);
        }
    }

    private static int strSize(String s) {
        return 4 + s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static ByteBuffer putStr(ByteBuffer out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return out.putInt(b.length).put(b);
    }

    private static String getStr(ByteBuffer in) {
        return new String(getBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] getBytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("a length of " + n + " with " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }
}
