package dev.eddy.eventstore.mapdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The store's append-only log of commits, kept as its data: a directory of numbered segment files, each a run of
 * checksummed entries numbered consecutively across segments. A commit is one entry, written with one
 * {@code write} and one {@code fdatasync}; the batches in it are read back from where they lie, so batch data is
 * written to disk once. Segments are zero-filled to their size by a background thread before the writer reaches
 * them, so an append changes no file metadata and its sync is data-only. A segment is deleted once no live batch
 * lies in it and everything in it is checkpointed.
 *
 * <p>Threading: {@link #appendBlocking} and {@link #startAppendingBlocking} from the store's writer thread;
 * {@link #readBlocking} from any thread; {@link #deleteBlocking} from the checkpointer; {@link #scanBlocking} at open.
 *
 * <p>Entry: magic (4), payload length (4), sequence number (8), payload, CRC32C of all before it (4). Reading stops
 * at the first torn, corrupt or zero entry, or one numbered out of turn. The writer never appends after a torn
 * tail: every open starts a new segment.
 */
final class SegmentLog implements AutoCloseable {

    static final String DIRECTORY = "eddy.log";
    static final String SUFFIX = ".seg";

    private static final int MAGIC = 0x4544_5347; // "EDSG"
    static final int HEADER = 4 + 4 + 8;
    static final int TRAILER = 4;
    private static final int ZERO_CHUNK = 1 << 20;
    /** What new segments are filled with; only ever read (through duplicates). */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();

    /** One intact entry met by {@link #scanBlocking}. */
    @FunctionalInterface
    interface EntryVisitor {
        /**
         * @param payloadOffset where the payload starts in the segment file
         * @param end           where the entry ends in the segment file
         */
        void visit(long seq, long segment, long payloadOffset, long end, byte[] payload);
    }

    private final Path dir;
    private final long segmentBytes;
    /** Segments on disk (not yet deleted), including the one being appended to and a prepared next one. */
    private final Set<Long> live = ConcurrentHashMap.newKeySet();
    /** Read channels, opened on first read. */
    private final ConcurrentHashMap<Long, FileChannel> readers = new ConcurrentHashMap<>();

    // writer thread only
    private FileChannel writing;
    private long current = -1;
    private long position;
    private long allocated;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.BIG_ENDIAN);
    private final ByteBuffer trailer = ByteBuffer.allocate(TRAILER);

    // the preparer: zero-fills the next segment ahead of the writer
    private final Object prepLock = new Object();
    private long wanted = -1; // guarded by prepLock
    private long prepared = -1; // guarded by prepLock
    private IOException prepFailure; // guarded by prepLock
    private boolean closed; // guarded by prepLock
    private Thread preparer;

    private SegmentLog(Path dir, long segmentBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
    }

    /** Opens the directory (creating it), without writing. */
    static SegmentLog openBlocking(Path dir, long segmentBytes) {
        SegmentLog log = new SegmentLog(dir, segmentBytes);
        try {
            boolean created = !Files.isDirectory(dir);
            Files.createDirectories(dir);
            if (created) {
                syncDirectory(dir.toAbsolutePath().getParent());
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(SUFFIX))
                        .forEach(n -> log.live.add(Long.parseLong(n.substring(0, n.length() - SUFFIX.length()))));
            }
        } catch (IOException | NumberFormatException e) {
            throw new UncheckedIOException("cannot open the log directory " + dir,
                    e instanceof IOException io ? io : new IOException(e));
        }
        return log;
    }

    /** The segments on disk, ascending. */
    TreeSet<Long> segments() {
        return new TreeSet<>(live);
    }

    Path pathOf(long segment) {
        return dir.resolve(String.format("%016d%s", segment, SUFFIX));
    }

    /**
     * Visits the intact entries from {@code segment} at {@code offset} on, through the later segments, as long as
     * they are numbered {@code firstSeq}, {@code firstSeq + 1}, ... ({@code firstSeq} -1: from whatever the first
     * entry is numbered). Returns the last sequence number visited (or {@code firstSeq - 1}).
     */
    long scanBlocking(long segment, long offset, long firstSeq, EntryVisitor visitor) {
        long expected = firstSeq;
        for (long s : segments().tailSet(segment, true)) {
            long from = s == segment ? offset : 0;
            long before = expected;
            try (FileChannel ch = FileChannel.open(pathOf(s), StandardOpenOption.READ)) {
                expected = scanSegment(ch, s, from, expected, visitor);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the log segment " + pathOf(s), e);
            }
            if (expected == before && s != segment) {
                break; // an empty (prepared, or torn at its first entry) segment ends the log
            }
        }
        return expected - 1;
    }

    private static long scanSegment(FileChannel ch, long segment, long from, long expected, EntryVisitor visitor)
            throws IOException {
        long size = ch.size();
        ByteBuffer head = ByteBuffer.allocate(HEADER);
        long pos = from;
        while (size - pos >= HEADER + TRAILER) {
            head.clear();
            readFully(ch, head, pos);
            head.flip();
            if (head.getInt() != MAGIC) {
                break;
            }
            int length = head.getInt();
            long seq = head.getLong();
            if (length < 0 || length > size - pos - HEADER - TRAILER || (expected >= 0 && seq != expected)) {
                break;
            }
            ByteBuffer body = ByteBuffer.allocate(length + TRAILER);
            readFully(ch, body, pos + HEADER);
            CRC32C crc = new CRC32C();
            crc.update(head.flip());
            crc.update(body.array(), 0, length);
            if ((int) crc.getValue() != body.getInt(length)) {
                break;
            }
            byte[] payload = java.util.Arrays.copyOf(body.array(), length);
            long end = pos + HEADER + length + TRAILER;
            visitor.visit(seq, segment, pos + HEADER, end, payload);
            pos = end;
            expected = seq + 1;
        }
        return expected;
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long at) throws IOException {
        long pos = at;
        while (into.hasRemaining()) {
            int n = ch.read(into, pos);
            if (n < 0) {
                throw new IOException("unexpected end of " + ch + " at " + pos);
            }
            pos += n;
        }
    }

    /**
     * Starts appending to a new segment after {@code lastUsed} (the segment of the last intact entry, or of the
     * checkpoint), and the preparer of the segments after it. Segments after {@code lastUsed} hold no intact entry
     * in turn (a prepared one never used, or one whose first entry was torn): they are deleted first, so that the
     * next scan does not stop at them.
     */
    void startAppendingBlocking(long lastUsed) {
        for (long s : segments().tailSet(lastUsed, false)) {
            long[] entries = new long[1];
            try (FileChannel ch = FileChannel.open(pathOf(s), StandardOpenOption.READ)) {
                scanSegment(ch, s, 0, -1, (seq, segment, at, end, payload) -> entries[0]++);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the log segment " + pathOf(s), e);
            }
            if (entries[0] > 0) {
                throw new IllegalStateException("the log segment " + pathOf(s) + " holds " + entries[0]
                        + " intact entries that do not follow the log's last entry");
            }
            deleteBlocking(s);
        }
        syncDirectory(dir);
        long next = Math.max(lastUsed, live.isEmpty() ? 0 : segments().last()) + 1;
        preparer = new Thread(this::prepareLoop, "eddy-log-preallocator");
        preparer.setDaemon(true);
        preparer.start();
        roll(next);
    }

    /** The segment being appended to (writer thread). */
    long currentSegment() {
        return current;
    }

    /**
     * Appends one entry and forces it to disk; when this returns, the entry survives a crash. Returns where the
     * payload starts in {@link #currentSegment()}.
     */
    long appendBlocking(long seq, ByteBuffer payload) {
        int length = payload.remaining();
        long size = (long) HEADER + length + TRAILER;
        if (position > 0 && position + size > segmentBytes) {
            roll(current + 1);
        }
        long end = position + size;
        try {
            boolean grown = false;
            if (end > allocated) {
                // an entry larger than what is left of a fresh segment: grow it here
                long to = (end + ZERO_CHUNK - 1) / ZERO_CHUNK * ZERO_CHUNK;
                zeroFill(writing, allocated, to);
                allocated = to;
                grown = true;
            }
            header.clear();
            header.putInt(MAGIC).putInt(length).putLong(seq).flip();
            CRC32C crc = new CRC32C();
            crc.update(header.duplicate());
            crc.update(payload.duplicate());
            trailer.clear();
            trailer.putInt((int) crc.getValue()).flip();
            writing.position(position);
            ByteBuffer[] parts = {header, payload.duplicate(), trailer};
            long left = size;
            while (left > 0) {
                left -= writing.write(parts);
            }
            writing.force(grown);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the log segment " + pathOf(current), e);
        }
        long payloadAt = position + HEADER;
        position = end;
        return payloadAt;
    }

    /** Moves the writer to segment {@code next}, prepared (zero-filled and durable) by the preparer thread. */
    private void roll(long next) {
        synchronized (prepLock) {
            if (wanted < next) {
                wanted = next;
                prepLock.notifyAll();
            }
            while (prepared < next && prepFailure == null && !closed) {
                try {
                    prepLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UncheckedIOException(new IOException("interrupted while a log segment was prepared"));
                }
            }
            if (prepFailure != null) {
                throw new UncheckedIOException("cannot prepare the log segment " + pathOf(next), prepFailure);
            }
            if (closed) {
                throw new UncheckedIOException(new ClosedChannelException());
            }
            wanted = next + 1; // the one after, ahead of time
            prepLock.notifyAll();
        }
        try {
            if (writing != null) {
                writing.close();
            }
            writing = FileChannel.open(pathOf(next), StandardOpenOption.READ, StandardOpenOption.WRITE);
            allocated = writing.size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the log segment " + pathOf(next), e);
        }
        current = next;
        position = 0;
    }

    private void prepareLoop() {
        while (true) {
            long target;
            synchronized (prepLock) {
                while (!closed && wanted <= prepared) {
                    try {
                        prepLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                target = Math.max(wanted, prepared + 1);
            }
            try {
                Path path = pathOf(target);
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    long size = ch.size();
                    if (size < segmentBytes) {
                        zeroFill(ch, size, segmentBytes);
                    }
                    ch.force(true);
                }
                live.add(target);
                syncDirectory(dir);
                synchronized (prepLock) {
                    prepared = target;
                    prepLock.notifyAll();
                }
            } catch (IOException e) {
                synchronized (prepLock) {
                    prepFailure = e;
                    prepLock.notifyAll();
                }
                return;
            }
        }
    }

    private static void zeroFill(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer zeros = ZEROS.duplicate();
        for (long o = from; o < to; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - o));
            o += ch.write(zeros, o);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some platforms cannot open a directory; their file systems order this themselves
        }
    }

    /**
     * Reads {@code length} bytes at {@code offset} of a segment; {@code null} if the segment has been deleted
     * (everything in it was removed). Any thread.
     */
    byte[] readBlocking(long segment, long offset, int length) {
        byte[] out = new byte[length];
        for (int attempt = 0; ; attempt++) {
            if (!live.contains(segment)) {
                return null;
            }
            FileChannel ch = readers.get(segment);
            try {
                if (ch == null) {
                    ch = FileChannel.open(pathOf(segment), StandardOpenOption.READ);
                    FileChannel raced = readers.putIfAbsent(segment, ch);
                    if (raced != null) {
                        ch.close();
                        ch = raced;
                    }
                }
                readFully(ch, ByteBuffer.wrap(out), offset);
                return out;
            } catch (ClosedChannelException | NoSuchFileException e) {
                // deleted meanwhile, or closed by an interrupt of another reader: look again
                readers.remove(segment, ch);
                if (attempt >= 3) {
                    if (!live.contains(segment)) {
                        return null;
                    }
                    throw new UncheckedIOException("cannot read the log segment " + pathOf(segment), e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the log segment " + pathOf(segment), e);
            }
        }
    }

    /** Deletes a segment whose entries are all checkpointed and whose batches are all removed. */
    void deleteBlocking(long segment) {
        if (segment == current) {
            throw new IllegalStateException("the log segment " + segment + " is being appended to");
        }
        live.remove(segment);
        FileChannel ch = readers.remove(segment);
        try {
            if (ch != null) {
                ch.close();
            }
            Files.deleteIfExists(pathOf(segment));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the log segment " + pathOf(segment), e);
        }
    }

    @Override
    public void close() {
        synchronized (prepLock) {
            closed = true;
            prepLock.notifyAll();
        }
        if (preparer != null) {
            try {
                preparer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (writing != null) {
                writing.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        for (FileChannel ch : readers.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        readers.clear();
    }
}
