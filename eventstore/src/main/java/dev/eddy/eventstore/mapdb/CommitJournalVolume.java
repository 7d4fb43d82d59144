package dev.eddy.eventstore.mapdb;

import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Makes every {@link #sync()} of MapDB's store file atomic with a physical redo journal, because MapDB 3.1.0's
 * own write-ahead log does not survive a crash during a commit.
 *
 * <p>Why: {@code StoreWAL.commit()} writes its log, then overwrites the store file in place (header, index values,
 * free lists, records) and syncs it. Its log lacks the index values and free lists, and {@code StoreWAL} never
 * replays a log at open. A process killed during that in-place phase therefore leaves a store file that is half
 * old and half new (e.g. a new header and BTree nodes pointing at records whose index values were not yet
 * written), which later fails to open or returns garbage.
 *
 * <p>How: this volume holds every write to the store file in memory, as 4 KiB page images, until {@code sync()};
 * reads see those writes. {@code sync()} writes the dirty pages to the journal file with a CRC, forces it,
 * only then copies them into the store file, forces that, and empties the journal. At open, a complete journal
 * (the commit was durable but perhaps only partly copied) is copied into the store file again, which is
 * idempotent; an incomplete one (its commit never reached the store file) is discarded. MapDB's StoreWAL only
 * writes to its store file inside {@code commit()} (and when it creates the file), each time ending with one
 * {@code sync()}, so each MapDB commit becomes all-or-nothing.
 *
 * <p>Thread-safety: writes and {@code sync()} come from MapDB under its own write locks; reads may come from any
 * thread. State is guarded by this object's monitor; reads skip the monitor while nothing is buffered.
 */
final class CommitJournalVolume extends Volume {

    static final String SUFFIX = ".commit";

    private static final int PAGE_SHIFT = 12;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final long MAGIC = 0x4544_4459_434a_0001L; // "EDDYCJ" v1
    private static final long END = 0x4544_4459_434a_454eL;   // "EDDYCJEN"
    private static final int HEADER = 8 + 4;
    private static final int TRAILER = 8 + 8;

    private final Volume file;
    private final Path journal;
    private final FileChannel journalChannel;
    private final Map<Long, byte[]> dirty = new HashMap<>();
    private volatile boolean hasDirty;
    private long bufferedLength;

    /**
     * Wraps the opened store file and first repairs it from a leftover journal (a crash during a commit).
     *
     * @param file    the store file's volume, already opened (and locked) by MapDB's factory
     * @param journal where the journal lives, next to the store file
     */
    CommitJournalVolume(Volume file, Path journal) {
        this.file = file;
        this.journal = journal;
        try {
            recover(file, journal);
            this.journalChannel = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the commit journal " + journal, e);
        }
        this.bufferedLength = file.length();
    }

    /** The journal of the store file at {@code storeFile}. */
    static Path journalOf(Path storeFile) {
        return storeFile.resolveSibling(storeFile.getFileName() + SUFFIX);
    }

    // ---- recovery ----

    /**
     * Copies a complete journal into the store file (then empties it); discards an incomplete one. Returns whether
     * a journal was applied.
     */
    static boolean recover(Volume file, Path journal) throws IOException {
        if (!Files.exists(journal)) {
            return false;
        }
        byte[] bytes = Files.readAllBytes(journal);
        List<long[]> pages = new ArrayList<>();
        boolean complete = parse(bytes, pages);
        if (complete) {
            long end = 0;
            for (long[] p : pages) {
                end = Math.max(end, p[0] + p[2]);
            }
            file.ensureAvailable(end);
            for (long[] p : pages) {
                file.putData(p[0], bytes, (int) p[1], (int) p[2]);
            }
            file.sync();
        }
        try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.force(true);
        }
        return complete;
    }

    /** Fills {@code pages} with (file offset, offset in bytes, length) when the journal is complete and intact. */
    private static boolean parse(byte[] bytes, List<long[]> pages) {
        if (bytes.length < HEADER + TRAILER) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (buf.getLong() != MAGIC) {
            return false;
        }
        int count = buf.getInt();
        if (count < 0) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (buf.remaining() < 12 + TRAILER) {
                return false;
            }
            long offset = buf.getLong();
            int length = buf.getInt();
            if (offset < 0 || length < 0 || length > buf.remaining() - TRAILER) {
                return false;
            }
            pages.add(new long[]{offset, buf.position(), length});
            buf.position(buf.position() + length);
        }
        if (buf.remaining() < TRAILER) {
            return false;
        }
        int covered = buf.position();
        long crc = buf.getLong();
        if (buf.getLong() != END) {
            return false;
        }
        CRC32C c = new CRC32C();
        c.update(bytes, 0, covered);
        return c.getValue() == crc;
    }

    // ---- commit ----

    @Override
    public synchronized void sync() {
        if (dirty.isEmpty()) {
            if (bufferedLength > file.length()) {
                file.ensureAvailable(bufferedLength);
            }
            file.sync();
            return;
        }
        List<Map.Entry<Long, byte[]>> pages = new ArrayList<>(dirty.entrySet());
        pages.sort(Map.Entry.comparingByKey());
        long length = bufferedLength;
        int size = HEADER + TRAILER;
        for (Map.Entry<Long, byte[]> p : pages) {
            size += 12 + pageLength(p.getKey(), length);
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putLong(MAGIC).putInt(pages.size());
        for (Map.Entry<Long, byte[]> p : pages) {
            int len = pageLength(p.getKey(), length);
            buf.putLong(p.getKey() << PAGE_SHIFT).putInt(len).put(p.getValue(), 0, len);
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putLong(crc.getValue()).putLong(END).flip();
        try {
            journalChannel.truncate(0);
            long pos = 0;
            while (buf.hasRemaining()) {
                pos += journalChannel.write(buf, pos);
            }
            journalChannel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the commit journal " + journal, e);
        }
        // The commit is durable from here on: a crash while copying is repaired from the journal at the next open.
        file.ensureAvailable(length);
        for (Map.Entry<Long, byte[]> p : pages) {
            file.putData(p.getKey() << PAGE_SHIFT, p.getValue(), 0, pageLength(p.getKey(), length));
        }
        file.sync();
        dirty.clear();
        hasDirty = false;
        try {
            // Not forced: a journal that survives is the commit just copied, and copying it again changes nothing.
            journalChannel.truncate(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty the commit journal " + journal, e);
        }
    }

    private static int pageLength(long page, long length) {
        return (int) Math.min(PAGE_SIZE, Math.max(0, length - (page << PAGE_SHIFT)));
    }

    // ---- buffered writes ----

    private byte[] page(long page) {
        byte[] p = dirty.get(page);
        if (p == null) {
            p = new byte[PAGE_SIZE];
            long start = page << PAGE_SHIFT;
            long available = Math.min(PAGE_SIZE, file.length() - start);
            if (available > 0) {
                file.getData(start, p, 0, (int) available);
            }
            dirty.put(page, p);
            hasDirty = true;
        }
        return p;
    }

    private synchronized void write(long offset, byte[] src, int srcPos, int len) {
        while (len > 0) {
            long page = offset >>> PAGE_SHIFT;
            int in = (int) (offset & (PAGE_SIZE - 1));
            int n = Math.min(len, PAGE_SIZE - in);
            System.arraycopy(src, srcPos, page(page), in, n);
            offset += n;
            srcPos += n;
            len -= n;
        }
        bufferedLength = Math.max(bufferedLength, offset);
    }

    @Override
    public void putLong(long offset, long value) {
        write(offset, ByteBuffer.allocate(8).putLong(value).array(), 0, 8);
    }

    @Override
    public void putInt(long offset, int value) {
        write(offset, ByteBuffer.allocate(4).putInt(value).array(), 0, 4);
    }

    @Override
    public void putByte(long offset, byte value) {
        write(offset, new byte[]{value}, 0, 1);
    }

    @Override
    public void putData(long offset, byte[] src, int srcPos, int srcSize) {
        write(offset, src, srcPos, srcSize);
    }

    @Override
    public void putData(long offset, ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        write(offset, b, 0, b.length);
    }

    @Override
    public void clear(long startOffset, long endOffset) {
        long len = endOffset - startOffset;
        byte[] zeros = new byte[(int) Math.min(len, PAGE_SIZE)];
        for (long o = startOffset; o < endOffset; o += zeros.length) {
            write(o, zeros, 0, (int) Math.min(zeros.length, endOffset - o));
        }
    }

    // ---- reads that see buffered writes ----

    private void read(long offset, byte[] dst, int dstPos, int len) {
        if (!hasDirty) {
            file.getData(offset, dst, dstPos, len);
            return;
        }
        synchronized (this) {
            while (len > 0) {
                long page = offset >>> PAGE_SHIFT;
                int in = (int) (offset & (PAGE_SIZE - 1));
                int n = Math.min(len, PAGE_SIZE - in);
                byte[] p = dirty.get(page);
                if (p != null) {
                    System.arraycopy(p, in, dst, dstPos, n);
                } else {
                    // beyond the file's end (grown but not yet written): zeros, as after ensureAvailable
                    long onFile = Math.max(0, Math.min(n, file.length() - offset));
                    if (onFile > 0) {
                        file.getData(offset, dst, dstPos, (int) onFile);
                    }
                    Arrays.fill(dst, dstPos + (int) onFile, dstPos + n, (byte) 0);
                }
                offset += n;
                dstPos += n;
                len -= n;
            }
        }
    }

    @Override
    public long getLong(long offset) {
        if (!hasDirty) {
            return file.getLong(offset);
        }
        byte[] b = new byte[8];
        read(offset, b, 0, 8);
        return ByteBuffer.wrap(b).getLong();
    }

    @Override
    public int getInt(long offset) {
        if (!hasDirty) {
            return file.getInt(offset);
        }
        byte[] b = new byte[4];
        read(offset, b, 0, 4);
        return ByteBuffer.wrap(b).getInt();
    }

    @Override
    public byte getByte(long offset) {
        if (!hasDirty) {
            return file.getByte(offset);
        }
        byte[] b = new byte[1];
        read(offset, b, 0, 1);
        return b[0];
    }

    @Override
    public int getUnsignedByte(long offset) {
        return getByte(offset) & 0xff;
    }

    @Override
    public void putUnsignedByte(long offset, int b) {
        putByte(offset, (byte) (b & 0xff));
    }

    @Override
    public int getUnsignedShort(long offset) {
        return (getUnsignedByte(offset) << 8) | getUnsignedByte(offset + 1);
    }

    @Override
    public void putUnsignedShort(long offset, int value) {
        write(offset, new byte[]{(byte) (value >> 8), (byte) value}, 0, 2);
    }

    @Override
    public DataInput2 getDataInput(long offset, int size) {
        if (!hasDirty) {
            return file.getDataInput(offset, size);
        }
        byte[] b = new byte[size];
        read(offset, b, 0, size);
        return new DataInput2.ByteArray(b);
    }

    @Override
    public void getData(long offset, byte[] bytes, int bytesPos, int size) {
        read(offset, bytes, bytesPos, size);
    }

    // ---- the rest goes to the file ----

    /** Deferred to the next {@link #sync()}, after the journal: nothing reaches the file before its commit does. */
    @Override
    public synchronized void ensureAvailable(long offset) {
        bufferedLength = Math.max(bufferedLength, offset);
    }

    @Override
    public synchronized void truncate(long size) {
        if (hasDirty) {
            throw new IllegalStateException("cannot truncate the store file with uncommitted writes");
        }
        file.truncate(size);
        bufferedLength = file.length();
    }

    @Override
    public synchronized long length() {
        return Math.max(bufferedLength, file.length());
    }

    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Writes not synced are not committed: drop them, as a crash would.
        dirty.clear();
        hasDirty = false;
        try {
            journalChannel.close();
        } catch (IOException ignored) {
            // closing anyway
        } finally {
            file.close();
        }
    }

    @Override
    public int sliceSize() {
        return file.sliceSize();
    }

    @Override
    public boolean isSliced() {
        return file.isSliced();
    }

    @Override
    public boolean isReadOnly() {
        return file.isReadOnly();
    }

    @Override
    public File getFile() {
        return file.getFile();
    }

    @Override
    public boolean getFileLocked() {
        return file.getFileLocked();
    }

    @Override
    public boolean fileLoad() {
        return file.fileLoad();
    }
}
