package dev.eddy.projections;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.Storage;
import dev.eddy.platform.StorageSettings;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The projections service over a real platform on the memory backend: resuming from a snapshot older than the
 * last events folded (as after a crash between two snapshot writes) folds exactly the events after it again.
 */
class ProjectionsResumeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Vertx vertx;
    private Storage storage;
    private Streams streams;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        storage = await(Platform.openStorage(vertx, StorageSettings.memory()));
        streams = await(Platform.start(vertx, storage, PlatformOptions.defaults(), StreamMetrics.disabled()));
        await(streams.createStream(new CreateStreamRequest("orders", 2, null, null)));
        awaitTrue(() -> await(streams.describeStream("orders")).status().name().equals("ACTIVE"));
    }

    @AfterEach
    void stop() {
        await(storage.close());
        await(vertx.close());
    }

    @Test
    void aStaleSnapshotResumesExactlyOnce() throws Exception {
        Map<String, long[]> expected = new TreeMap<>();
        put(0, 2_000, expected);
        Projections projections = await(Projections.start(vertx, streams));
        await(projections.create(definition("totals")));
        awaitTrue(() -> projections.describe("totals").path("eventsProcessed").asLong() == 2_000);
        // The snapshot that holds the first 2,000 events, as stored (written within a second).
        awaitTrue(() -> snapshotEvents() == 2_000);
        byte[] stale = await(streams.metadata().get(ProjectionRunner.SNAPSHOTS, "totals"));

        put(2_000, 3_000, expected);
        awaitTrue(() -> projections.describe("totals").path("eventsProcessed").asLong() == 3_000);
        await(projections.close());
        assertEquals(3_000, snapshotEvents(), "stopping saves the snapshot");

        // A crash after the stale snapshot: the later writes never happened.
        await(streams.metadata().put(ProjectionRunner.SNAPSHOTS, "totals", stale));
        Projections again = await(Projections.start(vertx, streams));
        awaitTrue(() -> again.describe("totals").path("eventsProcessed").asLong() >= 3_000);
        assertEquals(3_000, again.describe("totals").path("eventsProcessed").asLong());
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            JsonNode state = again.state("totals", e.getKey()).path("state");
            assertEquals(e.getValue()[0], state.path("count").asLong(), e.getKey() + ": " + state);
            assertEquals(e.getValue()[1], state.path("total").asLong(), e.getKey() + ": " + state);
        }
        await(again.close());
    }

    @Test
    void aFailedProjectionStaysFailedAcrossARestart() {
        put(0, 10, new TreeMap<>());
        Projections projections = await(Projections.start(vertx, streams));
        ObjectNode recursing = definition("recursing");
        recursing.put("reduce", "def f: f + 1; f");
        await(projections.create(recursing));
        ObjectNode typeError = definition("type-error");
        typeError.put("reduce", ".event.data.amount + \"x\"");
        await(projections.create(typeError));
        awaitTrue(() -> projections.describe("recursing").path("status").asText().equals("FAILED"));
        awaitTrue(() -> projections.describe("type-error").path("status").asText().equals("FAILED"));
        JsonNode error = projections.describe("type-error").path("lastError");
        assertTrue(error.path("message").asText().length() > 0, error.toString());
        assertEquals(0, projections.describe("recursing").path("eventsProcessed").asLong());
        assertTrue(projections.describe("recursing").path("lastError").path("message").asText().length() > 0,
                projections.describe("recursing").toString());
        await(projections.close());

        Projections again = await(Projections.start(vertx, streams));
        awaitTrue(() -> again.describe("type-error").path("status").asText().equals("FAILED"));
        assertEquals(error, again.describe("type-error").path("lastError"));
        assertEquals(0, again.describe("type-error").path("eventsProcessed").asLong());
        await(again.delete("type-error"));
        assertThrows(PlatformException.class, () -> again.describe("type-error"));
        assertEquals(null, await(streams.metadata().get(ProjectionRunner.SNAPSHOTS, "type-error")));
        assertEquals(null, await(streams.metadata().get(Projections.DEFINITIONS, "type-error")));
        await(again.close());
    }

    @Test
    void badDefinitionsAreInvalidArguments() {
        ObjectNode ok = definition("x");
        ProjectionDefinition parsed = ProjectionDefinition.parse(ok);
        assertEquals(ok.path("reduce").asText(), parsed.toJson().path("reduce").asText());
        for (String[] bad : new String[][]{{"reduce", "{"}, {"filter", ".a >"}, {"name", ""}, {"name", "a/b"},
                {"emit", "x"}, {"partitionBy", "every"}}) {
            ObjectNode d = definition("x");
            d.put(bad[0], bad[1]);
            PlatformException e = assertThrows(PlatformException.class, () -> ProjectionDefinition.parse(d),
                    String.join("=", bad));
            assertEquals("INVALID_ARGUMENT", e.code().name());
        }
    }

    @Test
    void theEventCarriesJsonDataOrBase64() {
        assertEquals(JSON.createObjectNode().put("a", 1), ProjectionRunner.data("{\"a\": 1}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("bm90IGpzb24=", ProjectionRunner.data("not json".getBytes(StandardCharsets.UTF_8)).asText());
        assertEquals("e30gew==", ProjectionRunner.data("{} {".getBytes(StandardCharsets.UTF_8)).asText(),
                "trailing bytes make it not JSON");
        assertEquals("", ProjectionRunner.data(new byte[0]).asText());
    }

    private long snapshotEvents() throws Exception {
        byte[] bytes = await(streams.metadata().get(ProjectionRunner.SNAPSHOTS, "totals"));
        return bytes == null ? -1 : JSON.readTree(bytes).path("eventsProcessed").asLong();
    }

    private ObjectNode definition(String name) {
        ObjectNode d = JSON.createObjectNode();
        d.put("name", name);
        d.putObject("source").putArray("streams").add("orders");
        d.putObject("init").put("count", 0).put("total", 0);
        d.put("reduce", "{\"count\": (.state.count + 1), \"total\": (.state.total + .event.data.amount)}");
        return d;
    }

    private void put(int from, int to, Map<String, long[]> expected) {
        List<PutEntry> entries = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String key = "order-" + (i % 30);
            long[] f = expected.computeIfAbsent(key, k -> new long[2]);
            f[0]++;
            f[1] += i;
            entries.add(PutEntry.of(key, null, ("{\"amount\": " + i + "}").getBytes(StandardCharsets.UTF_8)));
        }
        for (PutResult r : await(streams.putRecords("orders", entries))) {
            assertTrue(r.sequenceNumber() != null, r.toString());
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(Check check) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try {
            while (!check.ok()) {
                if (System.nanoTime() > deadline) {
                    fail("condition not met in 20 s");
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
