/**
 * The storage SPI: small role interfaces combined into {@link dev.eddy.eventstore.EventStore}, the record
 * and batch types, and the failures a caller can act on. Backends are created by
 * {@link dev.eddy.eventstore.EventStores}.
 */
package dev.eddy.eventstore;
