/**
 * The embedded default backend: batches and their key sections in MapDB BTreeMaps with the write-ahead log
 * on, group-committed by the shared engine through Eddy's redo log and checkpointed into MapDB behind it.
 */
package dev.eddy.eventstore.mapdb;
