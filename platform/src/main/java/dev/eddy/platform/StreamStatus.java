package dev.eddy.platform;

/** A stream's lifecycle state, as Kinesis names it. */
public enum StreamStatus {
    CREATING, DELETING, ACTIVE, UPDATING
}
