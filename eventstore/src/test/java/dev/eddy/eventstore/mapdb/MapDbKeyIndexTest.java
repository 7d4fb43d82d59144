package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.AppendBatch;
import dev.eddy.eventstore.spi.AppendResult;
import dev.eddy.eventstore.spi.ExpectedVersion;
import dev.eddy.eventstore.spi.NewRecord;
import dev.eddy.eventstore.spi.StoredRecord;
import dev.eddy.eventstore.spi.WrongExpectedVersionException;
import dev.eddy.eventstore.tck.EventStoreTckBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * While appends keep rotating the in-memory keys into the key index, a reader on another thread never sees a
     * key's current version or history behind what was already acknowledged (a rotation once dropped the keys
     * from memory before the key index searched them).
     */
    @Test
    void readersNeverMissAKeyWhileTheIndexRotates() throws InterruptedException {
        AtomicLong acknowledged = new AtomicLong(-1);
        AtomicBoolean done = new AtomicBoolean();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            while (!done.get() && problems.size() < 5) {
                long floor = acknowledged.get();
                try {
                    long v = store.currentVersion("log", "agg").toCompletionStage().toCompletableFuture()
                            .get(10, TimeUnit.SECONDS);
                    if (v < floor) {
                        problems.add("current version " + v + " behind the acknowledged " + floor);
                    }
                    int n = store.readKey("log", "agg", 0, 10_000).toCompletionStage().toCompletableFuture()
                            .get(10, TimeUnit.SECONDS).size();
                    if (n < floor + 1) {
                        problems.add("a history of " + n + " records behind the acknowledged " + (floor + 1));
                    }
                } catch (Exception e) {
                    problems.add(e.toString());
                }
            }
        }, "key-reader");
        reader.start();
        try {
            for (int i = 0; i < 600; i++) {
                AppendResult r = append("log", rec("agg", "v" + i), rec("other-" + (i % 7), "x"));
                acknowledged.set(r.versions()[0]);
            }
        } finally {
            done.set(true);
            reader.join();
        }
        assertEquals(List.of(), problems);
        assertEquals(599L, await(store.currentVersion("log", "agg")));
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
