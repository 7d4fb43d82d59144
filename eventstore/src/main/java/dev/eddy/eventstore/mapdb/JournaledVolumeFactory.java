package dev.eddy.eventstore.mapdb;

import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * MapDB's volume factory with the store file wrapped in a {@link CommitJournalVolume}; its write-ahead log files
 * are made by their own factory, unchanged. (MapDB reads a record changed since its last commit back from its
 * write-ahead log, byte by byte for packed numbers; through a FileChannel each byte was a system call, and with
 * single-record appends the checkpointer re-read the same B-tree leaf for every batch. Memory-mapped, those reads
 * are memory reads: at 5,000 single-record appends/s the checkpointer's CPU dropped enough for 100 subscribers to
 * keep up.)
 */
final class JournaledVolumeFactory extends VolumeFactory {

    private final VolumeFactory base;
    private final VolumeFactory wal;
    private final String storeFile;
    private final UnaryOperator<Volume> fileWrapper;

    /**
     * @param base        makes the store file's volume
     * @param wal         makes the write-ahead log files' volumes
     * @param fileWrapper applied to the store file's volume under the journal (identity in production; tests use
     *                    it to stop writes reaching the file, as a crash would)
     */
    JournaledVolumeFactory(VolumeFactory base, VolumeFactory wal, Path storeFile, UnaryOperator<Volume> fileWrapper) {
        this.base = base;
        this.wal = wal;
        this.storeFile = storeFile.toString();
        this.fileWrapper = fileWrapper;
    }

    @Override
    public Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift, long initSize,
                             boolean fixedSize) {
        if (!storeFile.equals(file)) {
            return wal.makeVolume(file, readOnly, fileLockWait, sliceShift, initSize, fixedSize);
        }
        Volume volume = base.makeVolume(file, readOnly, fileLockWait, sliceShift, initSize, fixedSize);
        try {
            return new CommitJournalVolume(fileWrapper.apply(volume), CommitJournalVolume.journalOf(Path.of(file)));
        } catch (RuntimeException | Error e) {
            volume.close();
            throw e;
        }
    }

    @Override
    public boolean exists(String file) {
        return base.exists(file);
    }

    @Override
    public boolean handlesReadonly() {
        return base.handlesReadonly();
    }
}
