package dev.eddy.api.ws;

import dev.eddy.platform.Record;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class FramesTest {

    private static String json(String text) {
        return Frames.jsonText(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void dataIsJsonOnlyWhenItIsExactlyOneValidValue() {
        for (String valid : new String[] {"{\"a\":[1,2,{\"b\":null}]}", "[]", "42", "\"text\"", " true ", "-1.5e3"}) {
            assertEquals(valid, json(valid), valid);
        }
        for (String invalid : new String[] {"", " ", "{\"a\":1} trailing", "1 2", "{\"a\":", "[1,]", "abc", "'x'",
                "NaN", "{} {}", "\"\\q\""}) {
            assertNull(json(invalid), invalid);
        }
        assertNull(Frames.jsonText(new byte[] {'"', (byte) 0xff, '"'}), "invalid UTF-8");
    }

    @Test
    void anEventFrameCarriesEveryField() {
        Record r = new Record("4900001", 1_700_000_000_123L, "{\"n\":1}".getBytes(StandardCharsets.UTF_8), "order-1",
                3, "e-1", "OrderPaid", Map.of("trace", "abc"));
        JsonObject frame = new JsonObject(Frames.event("orders", "shardId-000000000001", r));
        assertEquals("event", frame.getString("frame"));
        assertEquals("orders", frame.getString("stream"));
        assertEquals("shardId-000000000001", frame.getString("shardId"));
        assertEquals("4900001", frame.getString("sequenceNumber"));
        assertEquals("order-1", frame.getString("partitionKey"));
        assertEquals(3L, frame.getLong("version"));
        assertEquals("e-1", frame.getString("id"));
        assertEquals("OrderPaid", frame.getString("type"));
        assertEquals("abc", frame.getJsonObject("metadata").getString("trace"));
        assertEquals(1, frame.getJsonObject("data").getInteger("n"));
        assertFalse(frame.containsKey("dataBase64"));
        assertEquals("2023-11-14T22:13:20.123Z", frame.getString("arrivalTimestamp"));
    }
}
