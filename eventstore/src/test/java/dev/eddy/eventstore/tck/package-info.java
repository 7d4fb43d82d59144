/**
 * The conformance suite every storage backend passes: abstract JUnit 5 classes that take the store from an
 * {@link dev.eddy.eventstore.tck.EventStoreFixture}; a backend's test only supplies the fixture.
 */
package dev.eddy.eventstore.tck;
