package dev.eddy.eventstore.mapdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The append-only redo log in front of the store file: two preallocated files used in turn, each a run of
 * checksummed entries numbered consecutively. Appending an entry costs one write and one
 * {@code fdatasync} ({@code force(false)}: the files keep their size while reused, so no metadata is flushed).
 * Not thread-safe: appends come from the store's writer thread, reads at open only.
 *
 * <p>Entry: magic (4), payload length (4), sequence number (8), payload, CRC32C of all before it (4). A file is read
 * from its start while entries are intact and their numbers consecutive; the first torn, corrupt or stale entry
 * (a reused file still holds older, lower-numbered entries past its new tail) ends it. The writer moves to the other
 * file once the current one holds {@code segmentBytes} and everything in the other is checkpointed, so the entries
 * not yet checkpointed are always intact in the two files.
 */
final class RedoLog implements AutoCloseable {

    static final String SUFFIX = ".redo.";

    private static final int MAGIC = 0x4544_524c; // "EDRL"
    private static final int HEADER = 4 + 4 + 8;
    private static final int TRAILER = 4;
    /** Files grow by zero-filled chunks (allocated blocks make later overwrites data-only syncs). */
    private static final int CHUNK = 1 << 20;

    /** One intact entry read back at open. */
    record Entry(long seq, byte[] payload, int file, long end) {
    }

    private final Path[] paths;
    private final FileChannel[] channels = new FileChannel[2];
    private final long[] allocated = new long[2];
    /** The last sequence number written to each file since it was (re)started, or -1. */
    private final long[] lastSeq = {-1, -1};
    private final long segmentBytes;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.BIG_ENDIAN);
    private final ByteBuffer trailer = ByteBuffer.allocate(TRAILER);
    private int current;
    private long position;

    private RedoLog(Path[] paths, long segmentBytes) {
        this.paths = paths;
        this.segmentBytes = segmentBytes;
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

    /**
     * Opens (creating) the two files for appending from the start of the first. Call once every intact entry in
     * them is checkpointed: whatever they still hold is then numbered below every new entry, so a later read stops
     * at it. The files keep their allocated size (later appends are data-only syncs); one grown far past
     * {@code segmentBytes} by a backlog is cut back.
     */
    static RedoLog openBlocking(Path[] paths, long segmentBytes) {
        RedoLog log = new RedoLog(paths, segmentBytes);
        try {
            boolean created = false;
            for (int f = 0; f < 2; f++) {
                created |= !Files.exists(paths[f]);
                log.channels[f] = FileChannel.open(paths[f], StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                if (log.channels[f].size() > 4 * segmentBytes) {
                    log.channels[f].truncate(segmentBytes);
                    log.channels[f].force(true);
                }
                log.allocated[f] = log.channels[f].size();
            }
            if (created) {
                // The files' names must be durable before an entry in them is acknowledged.
                try (FileChannel dir = FileChannel.open(paths[0].toAbsolutePath().getParent(),
                        StandardOpenOption.READ)) {
                    dir.force(true);
                } catch (IOException ignored) {
                    // some platforms cannot open a directory; their file systems order this themselves
                }
            }
        } catch (IOException e) {
            log.close();
            throw new UncheckedIOException("cannot open the redo log " + paths[0], e);
        }
        return log;
    }

    /**
     * Appends one entry and forces it to disk; when this returns, the entry survives a crash.
     *
     * @param checkpointed the highest sequence number whose effects are durable in the store file
     */
    void appendBlocking(long seq, ByteBuffer payload, long checkpointed) {
        int other = 1 - current;
        if (position >= segmentBytes && lastSeq[other] <= checkpointed) {
            current = other;
            position = 0;
            lastSeq[current] = -1;
        }
        FileChannel ch = channels[current];
        int length = payload.remaining();
        long end = position + HEADER + length + TRAILER;
        try {
            boolean grown = false;
            if (end > allocated[current]) {
                long to = (end + CHUNK - 1) / CHUNK * CHUNK;
                growBlocking(ch, allocated[current], to);
                allocated[current] = to;
                grown = true;
            }
            header.clear();
            header.putInt(MAGIC).putInt(length).putLong(seq).flip();
            CRC32C crc = new CRC32C();
            crc.update(header.duplicate());
            crc.update(payload.duplicate());
            trailer.clear();
            trailer.putInt((int) crc.getValue()).flip();
            ch.position(position);
            ByteBuffer[] parts = {header, payload.duplicate(), trailer};
            long left = HEADER + length + TRAILER;
            while (left > 0) {
                left -= ch.write(parts);
            }
            ch.force(grown);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the redo log " + paths[current], e);
        }
        position = end;
        lastSeq[current] = seq;
    }

    private static void growBlocking(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(CHUNK, to - from));
        for (long o = from; o < to; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - o));
            o += ch.write(zeros, o);
        }
    }

    @Override
    public void close() {
        for (FileChannel ch : channels) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }
}
