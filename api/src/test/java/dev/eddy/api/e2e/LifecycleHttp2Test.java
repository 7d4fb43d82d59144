package dev.eddy.api.e2e;

import software.amazon.awssdk.http.Http2Metric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.waiters.KinesisAsyncWaiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle with the async Netty client over HTTP/2 cleartext (prior knowledge). The Netty client
 * reports HTTP/2 stream-window metrics only for requests it sent as HTTP/2 streams, so their presence in
 * every call's metrics proves the protocol.
 */
class LifecycleHttp2Test extends AbstractLifecycleTest {

    private final SdkClients.WireCapture wire = new SdkClients.WireCapture();
    private final SdkClients.MetricsCapture metrics = new SdkClients.MetricsCapture();
    private KinesisAsyncClient async;

    @Override
    protected KinesisClient createClient() {
        async = SdkClients.asyncHttp2(eddy.endpoint(), metrics, wire);
        return new AsyncAsSync(async);
    }

    private KinesisAsyncWaiter waiter() {
        return KinesisAsyncWaiter.builder().client(async).overrideConfiguration(SdkClients.FAST_WAITER).build();
    }

    @Override
    protected void waitUntilStreamExists(String stream) {
        try (KinesisAsyncWaiter waiter = waiter()) {
            waiter.waitUntilStreamExists(b -> b.streamName(stream)).join().matched().response().orElseThrow();
        }
    }

    @Override
    protected void waitUntilStreamNotExists(String stream) {
        try (KinesisAsyncWaiter waiter = waiter()) {
            waiter.waitUntilStreamNotExists(b -> b.streamName(stream)).join().matched().exception().orElseThrow();
        }
    }

    @Override
    protected void assertWire() {
        assertFalse(wire.requestContentTypes.isEmpty());
        wire.requestContentTypes.forEach(t -> assertEquals("application/x-amz-cbor-1.1", t));
        assertFalse(metrics.collections.isEmpty(), "the client published no metrics");
        for (MetricCollection call : metrics.collections) {
            assertTrue(hasHttp2Metric(call), "not sent over HTTP/2: " + call);
        }
    }

    private static boolean hasHttp2Metric(MetricCollection collection) {
        return !collection.metricValues(Http2Metric.LOCAL_STREAM_WINDOW_SIZE_IN_BYTES).isEmpty()
                || collection.childrenWithName("ApiCallAttempt").anyMatch(LifecycleHttp2Test::hasHttp2Metric)
                || collection.childrenWithName("HttpClient").anyMatch(LifecycleHttp2Test::hasHttp2Metric);
    }

    @Override
    protected String streamName() {
        return "lifecycle-http2";
    }
}
