/**
 * The event store: {@link dev.eddy.eventstore.EventStores} opens a backend (MapDB, PostgreSQL, memory); what
 * backends implement and callers use is the SPI in {@link dev.eddy.eventstore.spi}.
 */
package dev.eddy.eventstore;
