package dev.eddy.platform;

/**
 * One event of an aggregate's history: the record and the shard that holds it. Immutable.
 */
public record HistoryEvent(String shardId, Record record) {
}
