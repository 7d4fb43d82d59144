package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;

/** One in-process Eddy server ({@link EddyFixture}) on the wall clock for the whole test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractEddyTest {

    protected EddyFixture eddy;

    @BeforeAll
    void startEddy() {
        eddy = EddyFixture.start(Clock.systemUTC());
    }

    @AfterAll
    void stopEddy() {
        eddy.close();
    }
}
