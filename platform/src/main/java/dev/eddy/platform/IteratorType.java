package dev.eddy.platform;

/** Where a shard iterator starts, as Kinesis names it. */
public enum IteratorType {
    AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP
}
