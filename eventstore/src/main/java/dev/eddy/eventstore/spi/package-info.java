/**
 * The storage SPI, what a backend implements and a caller of the store uses: small role interfaces combined into
 * {@link dev.eddy.eventstore.spi.EventStore}, the record and batch types, and the failures a caller can act on.
 * Backends (MapDB, PostgreSQL, memory) are created by {@link dev.eddy.eventstore.EventStores}.
 */
package dev.eddy.eventstore.spi;
