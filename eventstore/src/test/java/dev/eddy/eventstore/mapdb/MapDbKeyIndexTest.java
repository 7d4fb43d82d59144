package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.AppendBatch;
import dev.eddy.eventstore.AppendResult;
import dev.eddy.eventstore.ExpectedVersion;
import dev.eddy.eventstore.NewRecord;
import dev.eddy.eventstore.StoredRecord;
import dev.eddy.eventstore.WrongExpectedVersionException;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key index's files on MapDB ({@code eddy.keys/}): they are derived from the stored key sections, so a damaged
 * or missing index is rebuilt at open and nothing about keys, versions or event ids changes.
 */
class MapDbKeyIndexTest extends EventStoreTckBase {

    private static final int KEYS = 50;
    private static final int ROUNDS = 12;

    private MapDbFixture mapdb;

    @Override
    protected MapDbFixture fixture() {
        mapdb = new MapDbFixture(o -> o.withKeyIndexFlushEntries(40));
        return mapdb;
    }

    private void fill() {
        for (int round = 0; round < ROUNDS; round++) {
            List<NewRecord> batch = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                batch.add(new NewRecord("agg-" + k, bytes(round + "/" + k), "id-" + round + "-" + k, "T", Map.of()));
            }
            await(store.append("log", AppendBatch.of(batch, 1000 + round)));
        }
    }

    private void assertKeysIntact() {
        for (int k = 0; k < KEYS; k++) {
            String key = "agg-" + k;
            assertEquals(ROUNDS - 1L, await(store.currentVersion("log", key)), key);
            List<StoredRecord> history = await(store.readKey("log", key, 0, 100));
            assertEquals(ROUNDS, history.size(), key);
            for (int round = 0; round < ROUNDS; round++) {
                assertEquals(round, history.get(round).version());
                assertEquals(round + "/" + k, new String(history.get(round).data()));
            }
        }
    }

    /** Retries, version checks and new versions continue from what is stored (appends once to agg-7). */
    private void assertAppendsContinue() {
        AppendResult retry = await(store.append("log", AppendBatch.of(List.of(
                new NewRecord("agg-3", bytes("3/3"), "id-3-3", "T", Map.of())), 1)));
        assertTrue(retry.duplicate());
        assertEquals(3L * KEYS + 3, retry.firstPosition());
        awaitFailure(WrongExpectedVersionException.class, store.append("log",
                new AppendBatch(List.of(rec("agg-7", "x")), Map.of("agg-7", ExpectedVersion.exactly(ROUNDS - 2)), 1)));
        AppendResult next = appendExpecting("log", "agg-7", ExpectedVersion.exactly(ROUNDS - 1), rec("agg-7", "x"));
        assertEquals(ROUNDS, next.versions()[0]);
    }

    private List<Path> tables() throws IOException {
        try (Stream<Path> files = Files.list(mapdb.dir().resolve(MapDbBatchStorage.KEY_INDEX_DIR))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".keys")).sorted().toList();
        }
    }

    @Test
    void theIndexIsWrittenToFilesAndReadAfterAReopen() throws IOException {
        fill();
        reopen();
        assertFalse(tables().isEmpty(), "the key index wrote table files");
        assertKeysIntact();
        assertAppendsContinue();
    }

    @Test
    void aDamagedTableIsRebuiltFromTheKeySections() throws IOException {
        fill();
        await(store.close());
        Path table = tables().get(0);
        try (RandomAccessFile f = new RandomAccessFile(table.toFile(), "rw")) {
            f.setLength(f.length() - 7);
        }
        store = await(fixture.open(vertx));
        assertKeysIntact();
        assertAppendsContinue();
    }

    @Test
    void aLostManifestIsRebuiltFromTheKeySections() throws IOException {
        fill();
        await(store.close());
        Files.delete(mapdb.dir().resolve(MapDbBatchStorage.KEY_INDEX_DIR).resolve("MANIFEST"));
        store = await(fixture.open(vertx));
        assertKeysIntact();
        reopen();
        assertKeysIntact();
        assertAppendsContinue();
    }
}
