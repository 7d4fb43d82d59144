package dev.eddy.eventstore.memory;

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

/** The conformance suite against the in-memory backend (reopen tests are skipped: nothing survives). */
class InMemoryEventStoreTest {

    static EventStoreFixture fixture() {
        return new EventStoreFixture() {
            @Override
            public Future<dev.eddy.eventstore.spi.EventStore> open(io.vertx.core.Vertx vertx) {
                return Future.succeededFuture(InMemoryEventStore.create(vertx));
            }

            @Override
            public boolean supportsReopen() {
                return false;
            }
        };
    }

    @Nested
    class AppendRead extends AppendReadTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class ConditionalAppend extends ConditionalAppendTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class Concurrency extends ConcurrencyTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class KeyHistory extends KeyHistoryTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class SeekTrimDelete extends SeekTrimDeleteTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class Metadata extends MetadataTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }

    @Nested
    class Durability extends DurabilityTck {
        @Override
        protected EventStoreFixture fixture() {
            return InMemoryEventStoreTest.fixture();
        }
    }
}
