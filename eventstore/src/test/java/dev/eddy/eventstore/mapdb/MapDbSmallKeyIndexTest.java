package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.tck.AppendReadTck;
import dev.eddy.eventstore.tck.ConcurrencyTck;
import dev.eddy.eventstore.tck.ConditionalAppendTck;
import dev.eddy.eventstore.tck.DurabilityTck;
import dev.eddy.eventstore.tck.EventStoreFixture;
import dev.eddy.eventstore.tck.KeyHistoryTck;
import dev.eddy.eventstore.tck.SeekTrimDeleteTck;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suites that involve keys, versions and event ids, on MapDB with a key index that moves its
 * entries from memory to its files every few records: lookups cross frozen tables, files and merges all the time.
 */
class MapDbSmallKeyIndexTest {

    static EventStoreFixture fixture() {
        return new MapDbFixture(o -> o.withKeyIndexFlushEntries(3));
    }

    @Nested
    class AppendRead extends AppendReadTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }

    @Nested
    class ConditionalAppend extends ConditionalAppendTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }

    @Nested
    class Concurrency extends ConcurrencyTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }

    @Nested
    class KeyHistory extends KeyHistoryTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }

    @Nested
    class SeekTrimDelete extends SeekTrimDeleteTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }

    @Nested
    class Durability extends DurabilityTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbSmallKeyIndexTest.fixture();
        }
    }
}
