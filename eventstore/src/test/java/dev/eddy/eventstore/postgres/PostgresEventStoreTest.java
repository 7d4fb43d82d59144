package dev.eddy.eventstore.postgres;

import dev.eddy.eventstore.tck.AppendReadTck;
import dev.eddy.eventstore.tck.ConcurrencyTck;
import dev.eddy.eventstore.tck.ConditionalAppendTck;
import dev.eddy.eventstore.tck.DurabilityTck;
import dev.eddy.eventstore.tck.EventStoreFixture;
import dev.eddy.eventstore.tck.KeyHistoryTck;
import dev.eddy.eventstore.tck.MetadataTck;
import dev.eddy.eventstore.tck.SeekTrimDeleteTck;
import org.junit.jupiter.api.Nested;

/** The conformance suite against the PostgreSQL backend, each test in a fresh database on the test server. */
class PostgresEventStoreTest {

    static EventStoreFixture fixture() {
        return new PostgresFixture();
    }

    @Nested
    class AppendRead extends AppendReadTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class ConditionalAppend extends ConditionalAppendTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class Concurrency extends ConcurrencyTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class KeyHistory extends KeyHistoryTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class SeekTrimDelete extends SeekTrimDeleteTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class Metadata extends MetadataTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }

    @Nested
    class Durability extends DurabilityTck {
        @Override
        protected EventStoreFixture fixture() {
            return PostgresEventStoreTest.fixture();
        }
    }
}
