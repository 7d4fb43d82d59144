package dev.eddy.api.kinesis;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Request bodies exactly as the AWS SDK for Java v2 marshals them: a client whose interceptor takes the
 * body just before it would be sent and stops the call there (nothing is sent). Not thread-safe.
 */
final class SdkRequestBodies implements AutoCloseable {

    private final KinesisClient client;
    private final AtomicReference<byte[]> captured = new AtomicReference<>();

    /** Stops a call once its body is captured. */
    private static final class Captured extends RuntimeException {
        Captured() {
            super("captured", null, false, false);
        }
    }

    SdkRequestBodies(boolean cbor) {
        String previous = System.getProperty("aws.cborEnabled");
        System.setProperty("aws.cborEnabled", Boolean.toString(cbor)); // read when the client is built
        try {
            client = KinesisClient.builder()
                    .endpointOverride(URI.create("http://localhost:1"))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "s")))
                    .httpClientBuilder(ApacheHttpClient.builder())
                    .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1))
                            .addExecutionInterceptor(new ExecutionInterceptor() {
                                @Override
                                public void beforeTransmission(Context.BeforeTransmission context,
                                                               ExecutionAttributes attributes) {
                                    captured.set(context.requestBody().map(body -> {
                                        try (InputStream in = body.contentStreamProvider().newStream()) {
                                            return in.readAllBytes();
                                        } catch (IOException e) {
                                            throw new UncheckedIOException(e);
                                        }
                                    }).orElse(new byte[0]));
                                    throw new Captured();
                                }
                            }))
                    .build();
        } finally {
            if (previous == null) {
                System.clearProperty("aws.cborEnabled");
            } else {
                System.setProperty("aws.cborEnabled", previous);
            }
        }
    }

    /** The body the SDK marshals for a call on the client. */
    byte[] bodyOf(Consumer<KinesisClient> call) {
        captured.set(null);
        try {
            call.accept(client);
        } catch (RuntimeException expected) {
            // the interceptor stopped the call
        }
        byte[] body = captured.getAndSet(null);
        if (body == null) {
            throw new IllegalStateException("The SDK sent no body");
        }
        return body;
    }

    @Override
    public void close() {
        client.close();
    }
}
