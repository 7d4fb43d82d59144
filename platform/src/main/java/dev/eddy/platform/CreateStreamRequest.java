package dev.eddy.platform;

import java.util.Map;

/**
 * What CreateStream asks for. Immutable.
 *
 * @param name       the stream name
 * @param shardCount the shard count (PROVISIONED), or {@code null} for the ON_DEMAND default
 * @param mode       the capacity mode
 * @param tags       tags to attach, never null
 */
public record CreateStreamRequest(String name, Integer shardCount, StreamMode mode, Map<String, String> tags) {

    public CreateStreamRequest {
        mode = mode == null ? StreamMode.PROVISIONED : mode;
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }
}
