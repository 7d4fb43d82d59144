/**
 * Kinesis Data Streams semantics over the event store: {@link dev.eddy.platform.Streams} and its value
 * types. Created with {@link dev.eddy.platform.Platform#start}.
 */
package dev.eddy.platform;
