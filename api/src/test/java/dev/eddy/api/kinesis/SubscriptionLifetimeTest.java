package dev.eddy.api.kinesis;

import dev.eddy.api.EddyConfig;
import dev.eddy.api.EddyServer;
import dev.eddy.api.TestBackends;
import dev.eddy.platform.StreamMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SubscribeToShard subscription ends by itself after its lifetime (Kinesis's 5 minutes, shortened here to 1.5 s
 * on a second port served by the same platform): the SDK's call completes normally, without an error, and a new
 * subscription after the last continuation number goes on with nothing lost or repeated.
 */
class SubscriptionLifetimeTest {

    private Vertx vertx;
    private EddyServer server;
    private HttpServer shortLived;
    private KinesisAsyncClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (shortLived != null) {
            shortLived.close().await(30, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close().await(30, TimeUnit.SECONDS);
        }
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    private record Run(List<SubscribeToShardEvent> events, AtomicReference<Throwable> error,
                       CompletableFuture<Void> call) {
        List<String> texts() {
            List<String> out = new ArrayList<>();
            events.forEach(e -> e.records().stream().map(Record::data).map(SdkBytes::asUtf8String).forEach(out::add));
            return out;
        }
    }

    private Run subscribe(String consumerArn, StartingPosition position) {
        List<SubscribeToShardEvent> events = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CompletableFuture<Void> call = client.subscribeToShard(b -> b.consumerARN(consumerArn)
                        .shardId("shardId-000000000000").startingPosition(position),
                SubscribeToShardResponseHandler.builder().onError(error::set)
                        .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                                .onSubscribeToShardEvent(events::add).build())
                        .build());
        return new Run(events, error, call);
    }

    private void put(int from, int to) {
        for (int i = from; i < to; i++) {
            int n = i;
            client.putRecord(b -> b.streamName("lifetime").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("r" + n))).join();
        }
    }

    @Test
    void aSubscriptionEndsNormallyAfterItsLifetimeAndTheNextGoesOnAfterItsContinuation() throws Exception {
        vertx = Vertx.vertx();
        server = EddyServer.start(vertx, TestBackends.apply(EddyConfig.defaults().withPort(0),
                Files.createTempDirectory("eddy-lifetime-"))).await(30, TimeUnit.SECONDS);
        KinesisHttpHandler handler = new KinesisHttpHandler(new KinesisApi(server.streams(), Clock.systemUTC(),
                StreamMetrics.disabled(), 1_500), 1 << 20, StreamMetrics.disabled());
        shortLived = vertx.createHttpServer(new HttpServerOptions().setPort(0).setHost("127.0.0.1")
                .setHttp2ClearTextEnabled(true)).requestHandler(handler).listen().await(30, TimeUnit.SECONDS);
        client = KinesisAsyncClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + shortLived.actualPort()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2))
                .build();
        client.createStream(b -> b.streamName("lifetime").shardCount(1)).join();
        client.waiter().waitUntilStreamExists(b -> b.streamName("lifetime")).join();
        String streamArn = client.describeStreamSummary(b -> b.streamName("lifetime")).join()
                .streamDescriptionSummary().streamARN();
        String consumer = client.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("c")).join()
                .consumer().consumerARN();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.describeStreamConsumer(b -> b.consumerARN(consumer)).join().consumerDescription()
                .consumerStatus() != ConsumerStatus.ACTIVE) {
            assertTrue(System.nanoTime() < deadline, "consumer never ACTIVE");
            Thread.sleep(20);
        }

        put(0, 5);
        Run first = subscribe(consumer, StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build());
        first.call().get(30, TimeUnit.SECONDS); // ends by itself after 1.5 s
        assertNull(first.error().get(), "a subscription's end is not an error");
        assertEquals(List.of("r0", "r1", "r2", "r3", "r4"), first.texts());
        String continuation = first.events().get(first.events().size() - 1).continuationSequenceNumber();

        put(5, 10);
        Run second = subscribe(consumer, StartingPosition.builder().type(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                .sequenceNumber(continuation).build());
        second.call().get(30, TimeUnit.SECONDS);
        assertNull(second.error().get());
        assertEquals(List.of("r5", "r6", "r7", "r8", "r9"), second.texts());
    }
}
