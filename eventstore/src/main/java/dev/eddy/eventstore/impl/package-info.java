/**
 * The engine every backend shares: per-log in-memory indexes, the single writer thread with group commit,
 * the binary batch format, and the {@link dev.eddy.eventstore.impl.BatchStorage} plug a backend implements.
 * Internal to the eventstore module.
 */
package dev.eddy.eventstore.impl;
