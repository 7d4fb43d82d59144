package dev.eddy.api.e2e;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The lifecycle with the sync client in JSON 1.1 mode ({@code aws.cborEnabled=false}; epoch-second timestamps). */
class LifecycleJsonTest extends AbstractLifecycleTest {

    private final SdkClients.WireCapture wire = new SdkClients.WireCapture();
    private KinesisClient client;

    @Override
    protected KinesisClient createClient() {
        client = SdkClients.syncJson(eddy.endpoint(), wire);
        return client;
    }

    @Override
    protected void waitUntilStreamExists(String stream) {
        try (var waiter = KinesisWaiter.builder().client(client).overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(stream)).matched().response().orElseThrow();
        }
    }

    @Override
    protected void waitUntilStreamNotExists(String stream) {
        try (var waiter = KinesisWaiter.builder().client(client).overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamNotExists(b -> b.streamName(stream)).matched().exception().orElseThrow();
        }
    }

    @Override
    protected void assertWire() {
        assertFalse(wire.requestContentTypes.isEmpty());
        wire.requestContentTypes.forEach(t -> assertEquals("application/x-amz-json-1.1", t));
        wire.responseContentTypes.forEach(t -> assertEquals("application/x-amz-json-1.1", t));
    }

    @Override
    protected String streamName() {
        return "lifecycle-json";
    }
}
