package dev.eddy.api.e2e;

import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The lifecycle with the sync client in the SDK's default protocol, CBOR 1.1. */
class LifecycleCborTest extends AbstractLifecycleTest {

    private final SdkClients.WireCapture wire = new SdkClients.WireCapture();

    @Override
    protected KinesisClient createClient() {
        return SdkClients.syncCbor(eddy.endpoint(), wire);
    }

    @Override
    protected void assertWire() {
        assertFalse(wire.requestContentTypes.isEmpty());
        wire.requestContentTypes.forEach(t -> assertEquals("application/x-amz-cbor-1.1", t));
        wire.responseContentTypes.forEach(t -> assertEquals("application/x-amz-cbor-1.1", t));
    }

    @Override
    protected String streamName() {
        return "lifecycle-cbor";
    }
}
