package dev.eddy.bench.e2e;

import dev.eddy.api.e2e.EddyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** One in-process Eddy server ({@link EddyFixture}) for the whole test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractEddyTest {

    protected EddyFixture eddy;

    @BeforeAll
    void startEddy() {
        eddy = EddyFixture.start(config -> config);
    }

    @AfterAll
    void stopEddy() {
        eddy.close();
    }
}
