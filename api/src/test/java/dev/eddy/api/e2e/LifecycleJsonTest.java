package dev.eddy.api.e2e;

import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The lifecycle with the sync client in JSON 1.1 mode ({@code aws.cborEnabled=false}; epoch-second timestamps). */
class LifecycleJsonTest extends AbstractLifecycleTest {

    private final SdkClients.WireCapture wire = new SdkClients.WireCapture();

    @Override
    protected KinesisClient createClient() {
        return SdkClients.syncJson(eddy.endpoint(), wire);
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
