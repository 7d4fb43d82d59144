package dev.eddy.eventstore.tck;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conformance: the metadata documents and checkpoints. */
public abstract class MetadataTck extends EventStoreTckBase {

    @Test
    void putGetListRemove() {
        assertNull(await(store.get("streams", "s1")));
        await(store.put("streams", "s2", bytes("two")));
        await(store.put("streams", "s1", bytes("one")));
        await(store.put("streamsX", "s0", bytes("other namespace")));
        await(store.put("a", "s0", bytes("other namespace")));
        assertArrayEquals(bytes("one"), await(store.get("streams", "s1")));

        Map<String, byte[]> all = await(store.list("streams"));
        assertEquals(List.of("s1", "s2"), List.copyOf(all.keySet()));
        assertArrayEquals(bytes("two"), all.get("s2"));

        await(store.put("streams", "s1", bytes("uno")));
        assertArrayEquals(bytes("uno"), await(store.get("streams", "s1")));
        await(store.remove("streams", "s1"));
        await(store.remove("streams", "absent"));
        assertNull(await(store.get("streams", "s1")));
        assertEquals(List.of("s2"), List.copyOf(await(store.list("streams")).keySet()));
        assertTrue(await(store.list("nothing")).isEmpty());
    }

    @Test
    void storedValuesAreCopies() {
        byte[] v = bytes("abc");
        await(store.put("ns", "k", v));
        v[0] = 'x';
        byte[] got = await(store.get("ns", "k"));
        assertArrayEquals(bytes("abc"), got);
        got[0] = 'y';
        assertArrayEquals(bytes("abc"), await(store.get("ns", "k")));
    }

    @Test
    void checkpoints() {
        assertNull(await(store.loadCheckpoint("group/shard-0")));
        await(store.saveCheckpoint("group/shard-0", 42));
        await(store.saveCheckpoint("group/shard-0", 43));
        assertEquals(43L, await(store.loadCheckpoint("group/shard-0")));
    }
}
