package dev.eddy.eventstore.mapdb;

import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * MapDB's volume factory with the store file wrapped in a {@link CommitJournalVolume}; its write-ahead log files
 * are made by the base factory unchanged.
 */
final class JournaledVolumeFactory extends VolumeFactory {

    private final VolumeFactory base;
    private final String storeFile;
    private final UnaryOperator<Volume> fileWrapper;

    /**
     * @param fileWrapper applied to the store file's volume under the journal (identity in production; tests use
     *                    it to stop writes reaching the file, as a crash would)
     */
    JournaledVolumeFactory(VolumeFactory base, Path storeFile, UnaryOperator<Volume> fileWrapper) {
        this.base = base;
        this.storeFile = storeFile.toString();
        this.fileWrapper = fileWrapper;
    }

    @Override
    public Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift, long initSize,
                             boolean fixedSize) {
        Volume volume = base.makeVolume(file, readOnly, fileLockWait, sliceShift, initSize, fixedSize);
        if (!storeFile.equals(file)) {
            return volume;
        }
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
