/**
 * The in-memory backend: the shared engine over batches kept in concurrent maps; same semantics as the
 * durable backends, nothing survives the process.
 */
package dev.eddy.eventstore.memory;
