package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.tck.AppendReadTck;
import dev.eddy.eventstore.tck.ConcurrencyTck;
import dev.eddy.eventstore.tck.ConditionalAppendTck;
import dev.eddy.eventstore.tck.DurabilityTck;
import dev.eddy.eventstore.tck.EventStoreFixture;
import dev.eddy.eventstore.tck.KeyHistoryTck;
import dev.eddy.eventstore.tck.MetadataTck;
import dev.eddy.eventstore.tck.SeekTrimDeleteTck;
import io.vertx.core.Future;
import org.junit.jupiter.api.Nested;

/** The conformance suite against the MapDB backend, each test in a fresh temporary data directory. */
class MapDbEventStoreTest {

    static EventStoreFixture fixture() {
        return new MapDbFixture();
    }

    @Nested
    class AppendRead extends AppendReadTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class ConditionalAppend extends ConditionalAppendTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class Concurrency extends ConcurrencyTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class KeyHistory extends KeyHistoryTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class SeekTrimDelete extends SeekTrimDeleteTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class Metadata extends MetadataTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }

    @Nested
    class Durability extends DurabilityTck {
        @Override
        protected EventStoreFixture fixture() {
            return MapDbEventStoreTest.fixture();
        }
    }
}
