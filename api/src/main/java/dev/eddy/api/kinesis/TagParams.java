package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** A request's {@code Tags} map, checked as Kinesis checks it (how many, key and value lengths). Stateless. */
final class TagParams {

    private TagParams() {
    }

    /**
     * The tags in member {@code name} (empty when absent); violations go to {@code v}, a value that is not a string
     * is a {@code SerializationException}.
     */
    static Map<String, String> parse(Params p, String name, int maxTags, Validator v) {
        ObjectNode tags = p.map(name);
        Map<String, String> out = new LinkedHashMap<>();
        if (tags == null) {
            return out;
        }
        String path = Character.toLowerCase(name.charAt(0)) + name.substring(1);
        v.size(path, tags.size(), 1, maxTags);
        for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> tag = it.next();
            if (!tag.getValue().isTextual()) {
                throw KinesisException.serialization("Tag values must be strings");
            }
            String value = tag.getValue().textValue();
            v.length(path + ".key", tag.getKey(), 1, 128).length(path + "." + tag.getKey() + ".value", value, 0, 256);
            out.put(tag.getKey(), value);
        }
        return out;
    }
}
