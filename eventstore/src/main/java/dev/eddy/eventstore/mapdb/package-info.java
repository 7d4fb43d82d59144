/**
 * The embedded default backend: batches group-committed by the shared engine into Eddy's append-only segment
 * log, which keeps them; MapDB (write-ahead log on) records where each batch lies, checkpointed behind the log.
 */
package dev.eddy.eventstore.mapdb;
