package dev.eddy.api.kinesis;

import dev.eddy.api.EddyConfig;
import dev.eddy.api.EddyServer;
import dev.eddy.api.TestBackends;
import io.vertx.core.Vertx;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** An in-process Eddy on this run's test backend ({@link TestBackends}) and an ephemeral port, with an SDK client and a raw HTTP client. */
final class ServerFixture implements AutoCloseable {

    final Vertx vertx;
    final EddyServer server;
    final KinesisClient kinesis;
    final AtomicReference<String> lastContentType = new AtomicReference<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    ServerFixture() throws Exception {
        vertx = Vertx.vertx();
        server = EddyServer.start(vertx, TestBackends.apply(EddyConfig.defaults().withPort(0).withHttpInstances(2),
                        java.nio.file.Files.createTempDirectory("eddy-kinesis-")))
                .await(30, TimeUnit.SECONDS);
        kinesis = KinesisClient.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)).addExecutionInterceptor(
                        new ExecutionInterceptor() {
                            @Override
                            public void beforeTransmission(Context.BeforeTransmission context,
                                                           ExecutionAttributes attributes) {
                                lastContentType.set(context.httpRequest().firstMatchingHeader("Content-Type")
                                        .orElse(null));
                            }
                        }))
                .build();
    }

    String endpoint() {
        return "http://localhost:" + server.actualPort();
    }

    /** A raw POST / with the given headers and body. */
    HttpResponse<byte[]> post(Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint() + "/"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoint() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        kinesis.close();
        server.close().await(30, TimeUnit.SECONDS);
        vertx.close().await(30, TimeUnit.SECONDS);
    }
}
