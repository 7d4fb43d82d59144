package dev.eddy.api.e2e;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.ProtocolNegotiation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import javax.net.ssl.TrustManager;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builds real AWS SDK v2 Kinesis clients pointed at a local Eddy. Thread-safe. */
final class SdkClients {

    static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("eddy-test", "eddy-test-secret"));

    /** Waiters poll every 100 ms instead of the SDK's 10 s, so a CREATING stream does not slow tests. */
    static final WaiterOverrideConfiguration FAST_WAITER = WaiterOverrideConfiguration.builder()
            .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(100)))
            .maxAttempts(300)
            .build();

    private SdkClients() {
    }

    /** The sync client (Apache HTTP client) in the SDK's default protocol: CBOR. */
    static KinesisClient syncCbor(URI endpoint, ExecutionInterceptor... interceptors) {
        return sync(endpoint, interceptors);
    }

    /**
     * The sync client in JSON mode. The SDK reads {@code aws.cborEnabled} once, when the client is built (its
     * protocol factory keeps the value), so the property is set only while this client is built.
     */
    static KinesisClient syncJson(URI endpoint, ExecutionInterceptor... interceptors) {
        synchronized (SdkClients.class) {
            String previous = System.getProperty("aws.cborEnabled");
            System.setProperty("aws.cborEnabled", "false");
            try {
                return sync(endpoint, interceptors);
            } finally {
                if (previous == null) {
                    System.clearProperty("aws.cborEnabled");
                } else {
                    System.setProperty("aws.cborEnabled", previous);
                }
            }
        }
    }

    /**
     * A sync client without SDK retries, so each call's own outcome is observed (crash and outage tests), with
     * {@code connections} pooled connections and a per-call timeout that shows a hung request as a failure.
     */
    @SuppressWarnings("deprecation") // ApacheHttpClient: see sync()
    static KinesisClient syncNoRetries(URI endpoint, int connections, Duration callTimeout) {
        return KinesisClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(connections)
                        .connectionTimeout(Duration.ofSeconds(2)).socketTimeout(callTimeout.minusSeconds(5)))
                .overrideConfiguration(c -> c.retryStrategy(
                                AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(callTimeout))
                .build();
    }

    // ApacheHttpClient is deprecated in SDK 2.57 in favour of apache5-client; it is still the sync client most users run.
    @SuppressWarnings("deprecation")
    private static KinesisClient sync(URI endpoint, ExecutionInterceptor... interceptors) {
        return KinesisClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
                .overrideConfiguration(c -> {
                    c.apiCallTimeout(Duration.ofSeconds(30));
                    for (ExecutionInterceptor i : interceptors) {
                        c.addExecutionInterceptor(i);
                    }
                })
                .build();
    }

    /** The async Netty client over HTTP/2 (cleartext, prior knowledge), publishing its metrics to {@code metrics}. */
    static KinesisAsyncClient asyncHttp2(URI endpoint, MetricPublisher metrics, ExecutionInterceptor... interceptors) {
        return KinesisAsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2))
                .overrideConfiguration(c -> {
                    c.apiCallTimeout(Duration.ofSeconds(30));
                    c.addMetricPublisher(metrics);
                    for (ExecutionInterceptor i : interceptors) {
                        c.addExecutionInterceptor(i);
                    }
                })
                .build();
    }

    /**
     * The async Netty client over HTTP/2 (cleartext, prior knowledge) as enhanced fan-out consumers use it: no
     * call timeout (a subscription lasts up to five minutes), CBOR or JSON.
     */
    static KinesisAsyncClient asyncFanOut(URI endpoint, boolean cbor) {
        synchronized (SdkClients.class) {
            String previous = System.getProperty("aws.cborEnabled");
            System.setProperty("aws.cborEnabled", Boolean.toString(cbor));
            try {
                return KinesisAsyncClient.builder()
                        .endpointOverride(endpoint)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDENTIALS)
                        .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2))
                        .build();
            } finally {
                if (previous == null) {
                    System.clearProperty("aws.cborEnabled");
                } else {
                    System.setProperty("aws.cborEnabled", previous);
                }
            }
        }
    }

    /**
     * The sync client (Apache HTTP client, CBOR) over HTTPS, trusting {@code trust} (and nothing else); the
     * certificate's names are checked against the endpoint's host as usual.
     */
    @SuppressWarnings("deprecation") // ApacheHttpClient: see sync()
    static KinesisClient syncCborTls(URI endpoint, TrustManager[] trust) {
        return KinesisClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(ApacheHttpClient.builder().tlsTrustManagersProvider(() -> trust))
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(30)))
                .build();
    }

    /**
     * The async Netty client over HTTP/2 on TLS, negotiated by ALPN, trusting {@code trust}; no call timeout, so it
     * also serves SubscribeToShard.
     */
    static KinesisAsyncClient asyncHttp2Tls(URI endpoint, TrustManager[] trust) {
        return KinesisAsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                        .protocolNegotiation(ProtocolNegotiation.ALPN)
                        .tlsTrustManagersProvider(() -> trust))
                .build();
    }

    /** Records the Content-Type of every request and response the client sends and receives. */
    static final class WireCapture implements ExecutionInterceptor {
        final List<String> requestContentTypes = new CopyOnWriteArrayList<>();
        final List<String> responseContentTypes = new CopyOnWriteArrayList<>();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            requestContentTypes.add(context.httpRequest().firstMatchingHeader("Content-Type").orElse("<none>"));
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            responseContentTypes.add(context.httpResponse().firstMatchingHeader("Content-Type").orElse("<none>"));
        }
    }

    /** Keeps every metric collection the client publishes. */
    static final class MetricsCapture implements MetricPublisher {
        final List<MetricCollection> collections = new CopyOnWriteArrayList<>();

        @Override
        public void publish(MetricCollection metricCollection) {
            collections.add(metricCollection);
        }

        @Override
        public void close() {
        }
    }
}
