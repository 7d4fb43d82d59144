package dev.eddy.platform;

/** How a stream's capacity is managed, as Kinesis names it. */
public enum StreamMode {
    PROVISIONED, ON_DEMAND
}
