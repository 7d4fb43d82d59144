package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@link AbstractEddyTest} plus a sync CBOR SDK client for the server. JUnit runs this class's
 * {@code @BeforeAll} after the server started and its {@code @AfterAll} before the server stops.
 */
abstract class AbstractSdkTest extends AbstractEddyTest {

    /** Not final: a test that restarts the server may replace it (and close the old one). */
    protected KinesisClient client;

    @BeforeAll
    void startClient() {
        client = SdkClients.syncCbor(eddy.endpoint());
    }

    @AfterAll
    void stopClient() {
        client.close();
    }
}
