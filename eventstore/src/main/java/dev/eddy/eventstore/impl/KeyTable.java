package dev.eddy.eventstore.impl;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One immutable file of key-index entries sorted by {@code (log, hash, version)}: a partition key's versions
 * with their positions, and event ids with theirs. Thread-safe: immutable once written; entries are read
 * through read-only memory maps, so lookups never take a lock (callers keep them off event loops: a page
 * fault is disk I/O).
 *
 * <p>File: the entries ({@value #ENTRY} bytes each: log id, hash hi, hash lo, version, position), a sparse
 * sample of every {@value #SAMPLE_EVERY}th entry's sort key, a Bloom filter over {@code (log, hash)}, and a
 * trailer (counts, a CRC32C of the samples and the filter, format, magic). A table is written whole and made
 * durable before a manifest names it; a file no manifest names is an unfinished flush or merge, deleted at open.
 */
final class KeyTable {

    static final int ENTRY = 40;
    private static final int SAMPLE_EVERY = 128;
    private static final int SAMPLE = 32;
    private static final int BLOOM_BITS_PER_ENTRY = 10;
    private static final int BLOOM_HASHES = 7;
    private static final int TRAILER = 8 + 8 + 4 + 4 + 4 + 4;
    private static final int MAGIC = 0x45444B58; // "EDKX"
    private static final int FORMAT = 1;
    /** Entries per memory map (a single map is limited to 2 GiB). */
    private static final int SEGMENT_SHIFT = 24;

    /** Receives one entry. */
    @FunctionalInterface
    interface EntryConsumer {
        void accept(long version, long position);
    }

    /** A sorted source of entries for {@link #writeBlocking}: fills {@code entry} (5 longs) or returns false. */
    @FunctionalInterface
    interface EntrySource {
        boolean next(long[] entry);
    }

    final long generation;
    final Path file;
    private final long entries;
    private final MappedByteBuffer[] segments;
    private final long[] samples; // 4 longs per sample: log, hi, lo, version
    private final long[] bloom;

    private KeyTable(long generation, Path file, long entries, MappedByteBuffer[] segments, long[] samples,
                     long[] bloom) {
        this.generation = generation;
        this.file = file;
        this.entries = entries;
        this.segments = segments;
        this.samples = samples;
        this.bloom = bloom;
    }

    long entries() {
        return entries;
    }

    // ---- writing ----

    /**
     * Writes the source's entries (sorted, at most {@code maxEntries}) to a new file and forces it to disk.
     * Blocking.
     */
    static KeyTable writeBlocking(Path file, long generation, long maxEntries, EntrySource source) {
        long[] bloom = new long[bloomLongs(maxEntries)];
        long[] samples = new long[16];
        long count = 0;
        long[] e = new long[5];
        long[] prev = null;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream raw = Channels.newOutputStream(ch);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
            while (source.next(e)) {
                if (prev != null && compare(prev[0], prev[1], prev[2], prev[3], e[0], e[1], e[2], e[3]) >= 0) {
                    throw new IllegalStateException("key table entries out of order at entry " + count);
                }
                if (count == maxEntries) {
                    throw new IllegalStateException("more key table entries than the " + maxEntries + " announced");
                }
                if (count % SAMPLE_EVERY == 0) {
                    int s = (int) (count / SAMPLE_EVERY) * 4;
                    if (s + 4 > samples.length) {
                        samples = Arrays.copyOf(samples, samples.length * 2);
                    }
                    System.arraycopy(e, 0, samples, s, 4);
                }
                for (int i = 0; i < 5; i++) {
                    out.writeLong(e[i]);
                }
                bloomAdd(bloom, e[0], e[1], e[2]);
                prev = prev == null ? e.clone() : copyInto(e, prev);
                count++;
            }
            int sampleLongs = (int) ((count + SAMPLE_EVERY - 1) / SAMPLE_EVERY) * 4;
            CRC32C crc = new CRC32C();
            ByteBuffer tail = ByteBuffer.allocate((sampleLongs + bloom.length) * 8);
            for (int i = 0; i < sampleLongs; i++) {
                tail.putLong(samples[i]);
            }
            for (long b : bloom) {
                tail.putLong(b);
            }
            crc.update(tail.array());
            out.write(tail.array());
            out.writeLong(count);
            out.writeLong(generation);
            out.writeInt(bloom.length);
            out.writeInt((int) crc.getValue());
            out.writeInt(FORMAT);
            out.writeInt(MAGIC);
            out.flush();
            ch.force(true);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write key index table " + file + ": " + ex, ex);
        }
        return openBlocking(file, generation);
    }

    private static long[] copyInto(long[] from, long[] to) {
        System.arraycopy(from, 0, to, 0, 5);
        return to;
    }

    // ---- reading ----

    /** Maps a table written by {@link #writeBlocking}; fails on a damaged or foreign file. Blocking. */
    static KeyTable openBlocking(Path file, long generation) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < TRAILER) {
                throw new IllegalStateException("key index table " + file + " is truncated (" + size + " bytes)");
            }
            ByteBuffer t = ByteBuffer.allocate(TRAILER);
            readFully(ch, t, size - TRAILER);
            t.flip();
            long count = t.getLong();
            long gen = t.getLong();
            int bloomLongs = t.getInt();
            int crcValue = t.getInt();
            int format = t.getInt();
            int magic = t.getInt();
            if (magic != MAGIC || format != FORMAT || gen != generation || count < 0 || bloomLongs < 1) {
                throw new IllegalStateException("key index table " + file + " is not a table of generation "
                        + generation + " (magic " + Integer.toHexString(magic) + ", format " + format + ", generation "
                        + gen + ")");
            }
            long sampleLongs = (count + SAMPLE_EVERY - 1) / SAMPLE_EVERY * 4;
            long tailBytes = (sampleLongs + bloomLongs) * 8;
            if (count * ENTRY + tailBytes + TRAILER != size) {
                throw new IllegalStateException("key index table " + file + " has " + size + " bytes, expected "
                        + (count * ENTRY + tailBytes + TRAILER));
            }
            ByteBuffer tail = ByteBuffer.allocate((int) tailBytes);
            readFully(ch, tail, count * ENTRY);
            CRC32C crc = new CRC32C();
            crc.update(tail.array());
            if ((int) crc.getValue() != crcValue) {
                throw new IllegalStateException("key index table " + file + " fails its checksum");
            }
            tail.flip();
            long[] samples = new long[(int) sampleLongs];
            tail.asLongBuffer().get(samples);
            long[] bloom = new long[bloomLongs];
            tail.position((int) sampleLongs * 8);
            tail.asLongBuffer().get(bloom);
            int segs = (int) ((count + (1L << SEGMENT_SHIFT) - 1) >>> SEGMENT_SHIFT);
            MappedByteBuffer[] segments = new MappedByteBuffer[segs];
            for (int s = 0; s < segs; s++) {
                long first = (long) s << SEGMENT_SHIFT;
                long n = Math.min(1L << SEGMENT_SHIFT, count - first);
                segments[s] = ch.map(FileChannel.MapMode.READ_ONLY, first * ENTRY, n * ENTRY);
            }
            return new KeyTable(generation, file, count, segments, samples, bloom);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open key index table " + file + ": " + e, e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    boolean mightContain(long log, long hi, long lo) {
        long m = (long) bloom.length * 64;
        long h1 = mix(log, hi);
        long h2 = lo | 1;
        for (int i = 0; i < BLOOM_HASHES; i++) {
            long bit = Math.floorMod(h1 + i * h2, m);
            if ((bloom[(int) (bit >>> 6)] & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** The highest version stored for the hash, or -1. */
    long latestVersion(long log, long hi, long lo) {
        if (!mightContain(log, hi, lo)) {
            return -1;
        }
        long i = lowerBound(log, hi, lo, Long.MAX_VALUE) - 1;
        return i >= 0 && sameHash(i, log, hi, lo) ? field(i, 3) : -1;
    }

    /** The position of the hash's first entry (an event id's only one), or -1. */
    long firstPosition(long log, long hi, long lo) {
        if (!mightContain(log, hi, lo)) {
            return -1;
        }
        long i = lowerBound(log, hi, lo, Long.MIN_VALUE);
        return i < entries && sameHash(i, log, hi, lo) ? field(i, 4) : -1;
    }

    /** The version the hash has at that position, or -1 (a key's positions grow with its versions). */
    long versionAt(long log, long hi, long lo, long position) {
        if (!mightContain(log, hi, lo)) {
            return -1;
        }
        long lo0 = lowerBound(log, hi, lo, Long.MIN_VALUE);
        long hi0 = lowerBound(log, hi, lo, Long.MAX_VALUE);
        while (lo0 < hi0) {
            long mid = (lo0 + hi0) >>> 1;
            long p = field(mid, 4);
            if (p == position) {
                return field(mid, 3);
            } else if (p < position) {
                lo0 = mid + 1;
            } else {
                hi0 = mid;
            }
        }
        return -1;
    }

    /**
     * Gives the hash's entries with versions from {@code fromVersion} on at positions from {@code minPosition} on,
     * in order, at most {@code max}.
     */
    int entries(long log, long hi, long lo, long fromVersion, long minPosition, int max, EntryConsumer out) {
        if (max <= 0 || !mightContain(log, hi, lo)) {
            return 0;
        }
        int n = 0;
        for (long i = lowerBound(log, hi, lo, fromVersion); i < entries && n < max && sameHash(i, log, hi, lo); i++) {
            long position = field(i, 4);
            if (position >= minPosition) {
                out.accept(field(i, 3), position);
                n++;
            }
        }
        return n;
    }

    /** Reads entry {@code i} into {@code e} (5 longs); merges walk tables this way. */
    void entry(long i, long[] e) {
        for (int f = 0; f < 5; f++) {
            e[f] = field(i, f);
        }
    }

    /** The index of the first entry not below {@code (log, hi, lo, version)}. */
    private long lowerBound(long log, long hi, long lo, long version) {
        // The last sample below the key bounds the block; the next sample ends it.
        int nSamples = samples.length / 4;
        int a = 0;
        int b = nSamples;
        while (a < b) {
            int mid = (a + b) >>> 1;
            int s = mid * 4;
            if (compare(samples[s], samples[s + 1], samples[s + 2], samples[s + 3], log, hi, lo, version) < 0) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        // Samples [0, a) are below the key: the answer lies in ((a-1) * SAMPLE_EVERY, a * SAMPLE_EVERY].
        long from = Math.max(0, (long) (a - 1) * SAMPLE_EVERY);
        long to = Math.min(entries, (long) a * SAMPLE_EVERY);
        while (from < to) {
            long mid = (from + to) >>> 1;
            if (compare(field(mid, 0), field(mid, 1), field(mid, 2), field(mid, 3), log, hi, lo, version) < 0) {
                from = mid + 1;
            } else {
                to = mid;
            }
        }
        return from;
    }

    private boolean sameHash(long i, long log, long hi, long lo) {
        return field(i, 0) == log && field(i, 1) == hi && field(i, 2) == lo;
    }

    private long field(long i, int f) {
        return segments[(int) (i >>> SEGMENT_SHIFT)].getLong((int) (i & ((1L << SEGMENT_SHIFT) - 1)) * ENTRY + f * 8);
    }

    static int compare(long log1, long hi1, long lo1, long v1, long log2, long hi2, long lo2, long v2) {
        int c = Long.compare(log1, log2);
        if (c == 0) {
            c = Long.compare(hi1, hi2);
        }
        if (c == 0) {
            c = Long.compare(lo1, lo2);
        }
        if (c == 0) {
            c = Long.compare(v1, v2);
        }
        return c;
    }

    private static int bloomLongs(long entries) {
        long bits = Math.max(64, entries * BLOOM_BITS_PER_ENTRY);
        return (int) Math.min(Integer.MAX_VALUE - 8, (bits + 63) / 64);
    }

    private static void bloomAdd(long[] bloom, long log, long hi, long lo) {
        long m = (long) bloom.length * 64;
        long h1 = mix(log, hi);
        long h2 = lo | 1;
        for (int i = 0; i < BLOOM_HASHES; i++) {
            long bit = Math.floorMod(h1 + i * h2, m);
            bloom[(int) (bit >>> 6)] |= 1L << bit;
        }
    }

    private static long mix(long log, long hi) {
        return hi ^ (log * 0x9E3779B97F4A7C15L);
    }

    @Override
    public String toString() {
        return "KeyTable[" + file.getFileName() + ", " + entries + " entries]";
    }
}
