package dev.eddy.platform;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamMetricsTest {

    private static List<String> shardLabelled(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().map(Meter::getId).filter(id -> id.getTag("shard") != null)
                .map(id -> id.getName() + "/" + id.getTag("stream") + "/" + id.getTag("shard")).sorted().toList();
    }

    @Test
    void shardLabelsOnlyForStreamsWithShardLevelMonitoring() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamMetrics metrics = new StreamMetrics(registry, StreamMetrics.shardLevelFor("orders, audit"), "memory");
        metrics.streamCreated("orders", () -> 0, () -> 0);
        metrics.streamCreated("clicks", () -> 0, () -> 0);
        metrics.incoming("orders", "shardId-000000000001", 3, 30);
        metrics.incoming("clicks", "shardId-000000000000", 5, 50);
        assertEquals(3, registry.get("eddy.incoming.records").tag("stream", "orders").counter().count());
        assertEquals(3, registry.get("eddy.shard.incoming.records").tag("stream", "orders")
                .tag("shard", "shardId-000000000001").counter().count());
        assertTrue(shardLabelled(registry).stream().allMatch(s -> s.contains("/orders/")), shardLabelled(registry).toString());
        assertFalse(StreamMetrics.shardLevelFor("").test("orders"));
        assertTrue(StreamMetrics.shardLevelFor("*").test("anything"));
        assertTrue(StreamMetrics.shardLevelFor("orders, audit").test("audit"));
    }

    @Test
    void unknownStreamsAreOneLabelAndDeletedStreamsLeaveNoMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamMetrics metrics = new StreamMetrics(registry, s -> true, "memory");
        metrics.streamCreated("orders", () -> 42, () -> 4200);
        for (int i = 0; i < 100; i++) {
            metrics.request("kinesis", "PutRecord", "no-such-" + i, "ResourceNotFoundException", 1000);
        }
        assertEquals(100, registry.get("eddy.requests").tag("stream", "").counter().count());
        assertEquals(42, registry.get("eddy.stream.stored.records").tag("stream", "orders").gauge().value());
        assertEquals(4200, registry.get("eddy.stream.stored").tag("stream", "orders").gauge().value());
        metrics.request("kinesis", "PutRecord", "orders", "success", 1000);
        metrics.incoming("orders", "shardId-000000000000", 1, 1);
        Set<LongSupplier> open = metrics.subscriptions("orders", "billing");
        LongSupplier lag = () -> 2500;
        open.add(lag);
        assertEquals(2.5, registry.get("eddy.subscription.behind.latest").tag("group", "billing").gauge().value());
        assertEquals(1, registry.get("eddy.subscriptions.open").tag("group", "billing").gauge().value());
        open.remove(lag);
        metrics.streamDeleted("orders");
        assertTrue(registry.getMeters().stream().map(Meter::getId)
                        .noneMatch(id -> "orders".equals(id.getTag("stream"))),
                "meters of a deleted stream remain");
    }
}
