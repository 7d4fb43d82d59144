package dev.eddy.eventstore.impl;

import java.util.Objects;

/**
 * A metadata entry's address: namespace and key. Immutable. Orders by namespace, then key, and encodes to
 * one string ({@code namespace NUL key}) that sorts the same way, so a namespace is a contiguous range.
 */
public record MetadataKey(String namespace, String key) implements Comparable<MetadataKey> {

    private static final char SEPARATOR = '\u0000';

    public MetadataKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(key, "key");
        if (namespace.indexOf(SEPARATOR) >= 0) {
            throw new IllegalArgumentException("a metadata namespace must not contain NUL: '" + namespace + "'");
        }
    }

    /** The first key of the namespace in {@link #compareTo} order. */
    public static MetadataKey lowest(String namespace) {
        return new MetadataKey(namespace, "");
    }

    public String encoded() {
        return namespace + SEPARATOR + key;
    }

    public static MetadataKey decode(String encoded) {
        int i = encoded.indexOf(SEPARATOR);
        return new MetadataKey(encoded.substring(0, i), encoded.substring(i + 1));
    }

    @Override
    public int compareTo(MetadataKey o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : key.compareTo(o.key);
    }
}
