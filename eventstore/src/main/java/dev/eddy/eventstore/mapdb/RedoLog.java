package dev.eddy.eventstore.mapdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The redo log of stores written by earlier versions, read once at open to replay what MapDB lacks (the
 * {@link SegmentLog} replaced it): two files used in turn, each a run of checksummed entries numbered
 * consecutively. Stateless reading.
 *
 * <p>Entry: magic (4), payload length (4), sequence number (8), payload, CRC32C of all before it (4). A file is read
 * from its start while entries are intact and their numbers consecutive; the first torn, corrupt or stale entry
 * (a reused file still holds older, lower-numbered entries past its new tail) ends it.
 */
final class RedoLog {

    static final String SUFFIX = ".redo.";

    static final int MAGIC = 0x4544_524c; // "EDRL"
    private static final int HEADER = 4 + 4 + 8;
    private static final int TRAILER = 4;

    /** One intact entry read back at open. */
    record Entry(long seq, byte[] payload, int file, long end) {
    }

    private RedoLog() {
    }

    /** The two files of the store file at {@code storeFile}. */
    static Path[] pathsOf(Path storeFile) {
        return new Path[]{storeFile.resolveSibling(storeFile.getFileName() + SUFFIX + 0),
                storeFile.resolveSibling(storeFile.getFileName() + SUFFIX + 1)};
    }

    /** Every intact entry of both files, each file's run in order (possibly including checkpointed ones). */
    static List<Entry> readBlocking(Path[] paths) {
        List<Entry> out = new ArrayList<>();
        for (int f = 0; f < paths.length; f++) {
            if (!Files.exists(paths[f])) {
                continue;
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(paths[f]);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the redo log " + paths[f], e);
            }
            scan(bytes, f, out);
        }
        return out;
    }

    private static void scan(byte[] bytes, int file, List<Entry> out) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        long expected = -1;
        int pos = 0;
        while (bytes.length - pos >= HEADER + TRAILER) {
            buf.position(pos);
            if (buf.getInt() != MAGIC) {
                return;
            }
            int length = buf.getInt();
            long seq = buf.getLong();
            if (length < 0 || length > bytes.length - pos - HEADER - TRAILER || (expected >= 0 && seq != expected)) {
                return;
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, pos, HEADER + length);
            if ((int) crc.getValue() != buf.position(pos + HEADER + length).getInt()) {
                return;
            }
            byte[] payload = new byte[length];
            System.arraycopy(bytes, pos + HEADER, payload, 0, length);
            pos += HEADER + length + TRAILER;
            out.add(new Entry(seq, payload, file, pos));
            expected = seq + 1;
        }
    }
}
