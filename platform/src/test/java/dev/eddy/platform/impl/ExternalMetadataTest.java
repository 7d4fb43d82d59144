package dev.eddy.platform.impl;

import dev.eddy.eventstore.EventStores;
import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.KeyValueStore;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Streams#metadata()}: put, get, list in key order, delete, and no way into the platform's namespaces. */
class ExternalMetadataTest {

    private Vertx vertx;
    private EventStore store;
    private KeyValueStore metadata;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        store = EventStores.memory(vertx);
        metadata = await(Platform.start(vertx, store, PlatformOptions.defaults())).metadata();
    }

    @AfterEach
    void tearDown() throws Exception {
        await(store.close());
        await(vertx.close());
    }

    @Test
    void putGetListDelete() throws Exception {
        await(metadata.put("things", "b", bytes("two")));
        await(metadata.put("things", "a", bytes("one")));
        await(metadata.put("things", "a", bytes("uno")));
        await(metadata.put("others", "a", bytes("other")));
        assertArrayEquals(bytes("uno"), await(metadata.get("things", "a")));
        assertNull(await(metadata.get("things", "c")));
        Map<String, byte[]> all = await(metadata.list("things"));
        assertEquals(List.of("a", "b"), List.copyOf(all.keySet()));
        assertArrayEquals(bytes("two"), all.get("b"));
        await(metadata.delete("things", "a"));
        await(metadata.delete("things", "never-there"));
        assertEquals(List.of("b"), List.copyOf(await(metadata.list("things")).keySet()));
        assertArrayEquals(bytes("other"), await(metadata.get("others", "a")));
    }

    @Test
    void thePlatformsOwnNamespacesAreOutOfReach() throws Exception {
        assertTrue(await(metadata.list("platform")).isEmpty(),
                "the platform's namespace (its iterator key) is not the caller's");
        await(metadata.put("streams", "x", bytes("{")));
        assertNull(await(store.get("streams", "x")), "a caller's namespace never reaches the platform's");
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> metadata.get("", "x").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.INVALID_ARGUMENT, ((PlatformException) e.getCause()).code());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
