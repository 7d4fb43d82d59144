package dev.eddy.api.e2e;

import dev.eddy.api.TlsMaterial;
import dev.eddy.api.TlsSettings;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The TLS port: the same Kinesis (sync SDK over HTTP/1.1, async SDK over HTTP/2 by ALPN, SubscribeToShard), REST,
 * WebSocket and metrics routes as the cleartext port, which keeps serving beside it; a self-signed certificate
 * generated once per data directory and reused after a restart; given certificate and key files served instead.
 * Every client trusts exactly the server's certificate and verifies the host name against it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path tmp;

    private EddyFixture eddy;
    private TlsMaterial material;
    private TrustManager[] trust;
    private SSLContext ssl;
    private KinesisClient kinesis;

    @BeforeAll
    void start() throws Exception {
        eddy = EddyFixture.start(c -> c.withTls(TlsSettings.onPort(0)).withDataDir(tmp.resolve("data")));
        material = eddy.server().tls().orElseThrow();
        trust = trusting(material.certPath());
        ssl = sslContext(trust);
        kinesis = SdkClients.syncCborTls(eddy.tlsEndpoint(), trust);
    }

    @AfterAll
    void stop() {
        kinesis.close();
        eddy.close();
    }

    /** Trust managers that trust exactly the certificate in the PEM file. */
    static TrustManager[] trusting(Path certPem) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(certPem)) {
            store.setCertificateEntry("eddy", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    static SSLContext sslContext(TrustManager[] trust) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust, null);
        return context;
    }

    private HttpResponse<String> get(HttpClient.Version version, URI uri) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(version).sslContext(ssl).build();
        return http.send(HttpRequest.newBuilder(uri).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void eventually(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void theSelfSignedCertificateIsGeneratedInTheDataDirectory() {
        assertEquals(TlsMaterial.Origin.GENERATED, material.origin());
        assertEquals(Path.of(TlsMaterial.CERT_FILE), material.certPath().getFileName());
        assertEquals("tls", material.certPath().getParent().getFileName().toString());
        assertTrue(material.fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), material.fingerprint());
    }

    @Test
    void theSyncSdkClientCreatesPutsAndGetsOverHttpsWhileTheCleartextPortServesTheSameStreams() {
        Shards.createStream(kinesis, "secure", 1);
        PutRecordResponse put = kinesis.putRecord(b -> b.streamName("secure").partitionKey("k")
                .data(SdkBytes.fromUtf8String("over tls")));
        String iterator = kinesis.getShardIterator(b -> b.streamName("secure").shardId(put.shardId())
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<Record> records = kinesis.getRecords(b -> b.shardIterator(iterator)).records();
        assertEquals(List.of("over tls"), Shards.texts(records));
        assertEquals(put.sequenceNumber(), records.get(0).sequenceNumber());

        try (KinesisClient cleartext = SdkClients.syncCbor(eddy.endpoint())) {
            cleartext.putRecord(b -> b.streamName("secure").partitionKey("k").data(SdkBytes.fromUtf8String("in clear")));
            assertEquals(List.of("over tls", "in clear"), Shards.texts(Shards.readShard(cleartext, "secure", put.shardId())));
        }
        assertEquals(List.of("over tls", "in clear"), Shards.texts(Shards.readShard(kinesis, "secure", put.shardId())));
    }

    @Test
    void alpnPicksHttp2OrHttp11AndHealthReadyAndMetricsAnswerOverHttps() throws Exception {
        URI https = eddy.tlsEndpoint();
        HttpResponse<String> h2 = get(HttpClient.Version.HTTP_2, https.resolve("/health"));
        assertEquals(200, h2.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, h2.version(), "ALPN should pick h2 when the client offers it");
        HttpResponse<String> h1 = get(HttpClient.Version.HTTP_1_1, https.resolve("/health"));
        assertEquals(200, h1.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, h1.version());
        assertEquals(200, get(HttpClient.Version.HTTP_2, https.resolve("/ready")).statusCode());
        HttpResponse<String> metrics = get(HttpClient.Version.HTTP_2, https.resolve("/metrics"));
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("eddy_"), "Prometheus text expected");

        // Cleartext HTTP/2 (prior knowledge) still answers on the other port.
        HttpResponse<String> clear = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .send(HttpRequest.newBuilder(eddy.endpoint().resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, clear.statusCode());
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefused() throws Exception {
        HttpClient untrusting = HttpClient.newBuilder().sslContext(SSLContext.getDefault()).build();
        assertThrows(SSLHandshakeException.class, () -> untrusting.send(
                HttpRequest.newBuilder(eddy.tlsEndpoint().resolve("/health")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.discarding()));
    }

    @Test
    void theAsyncSdkClientOverHttp2WithTlsPutsListsAndSubscribesToShard() throws Exception {
        Shards.createStream(kinesis, "fan-out-tls", 1);
        try (KinesisAsyncClient async = SdkClients.asyncHttp2Tls(eddy.tlsEndpoint(), trust)) {
            PutRecordResponse put = async.putRecord(b -> b.streamName("fan-out-tls").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("pushed over h2"))).get(30, TimeUnit.SECONDS);
            assertEquals("shardId-000000000000", async.listShards(b -> b.streamName("fan-out-tls"))
                    .get(30, TimeUnit.SECONDS).shards().get(0).shardId());

            String streamArn = kinesis.describeStreamSummary(b -> b.streamName("fan-out-tls"))
                    .streamDescriptionSummary().streamARN();
            String consumer = async.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("tls-reader"))
                    .get(30, TimeUnit.SECONDS).consumer().consumerARN();
            eventually("the consumer ACTIVE", () -> kinesis.describeStreamConsumer(b -> b.consumerARN(consumer))
                    .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
            List<Record> received = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> call = async.subscribeToShard(SubscribeToShardRequest.builder()
                            .consumerARN(consumer).shardId(put.shardId())
                            .startingPosition(StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build())
                            .build(),
                    SubscribeToShardResponseHandler.builder()
                            .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                                    .onSubscribeToShardEvent(e -> received.addAll(e.records())).build())
                            .build());
            eventually("the pushed record", () -> !received.isEmpty() || call.isDone());
            assertFalse(call.isCompletedExceptionally(), () -> "subscription failed: " + call);
            assertEquals("pushed over h2", received.get(0).data().asUtf8String());
            assertEquals(put.sequenceNumber(), received.get(0).sequenceNumber());
            call.cancel(true);
        }
    }

    @Test
    void theAsyncSdkClientWithItsDefaultsSpeaksHttp2OverTlsWithoutAlpn() throws Exception {
        // The SDK's Netty client (and KCL's KinesisClientUtil) assume HTTP/2 on TLS without negotiating it.
        Shards.createStream(kinesis, "assumed-h2", 1);
        try (KinesisAsyncClient async = KinesisAsyncClient.builder()
                .endpointOverride(eddy.tlsEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(SdkClients.CREDENTIALS)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                        .tlsTrustManagersProvider(() -> trust))
                .build()) {
            PutRecordResponse put = async.putRecord(b -> b.streamName("assumed-h2").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("h2 assumed"))).get(30, TimeUnit.SECONDS);
            assertEquals("shardId-000000000000", put.shardId());
            assertEquals(List.of("h2 assumed"), Shards.texts(Shards.readShard(kinesis, "assumed-h2", put.shardId())));
        }
    }

    @Test
    void restAppendsAndReadsOverHttps() throws Exception {
        RestClient rest = new RestClient(eddy.tlsEndpoint(), HttpClient.newBuilder().sslContext(ssl).build());
        rest.createStream("orders-tls", 1);
        RestClient.Reply appended = rest.post(RestClient.events("orders-tls", "order-1"),
                "{\"expectedVersion\":\"none\",\"events\":[{\"id\":\"evt-1\",\"type\":\"OrderPlaced\",\"data\":{\"sku\":\"A-1\"}}]}");
        assertEquals(201, appended.status(), appended::toString);
        RestClient.Reply history = rest.get(RestClient.events("orders-tls", "order-1"));
        assertEquals(200, history.status(), history::toString);
        assertEquals("evt-1", history.body().path("events").path(0).path("id").asText());
        assertEquals("A-1", history.body().path("events").path(0).path("data").path("sku").asText());
    }

    @Test
    void aWebSocketSubscriptionOverWssReceivesRecords() {
        Shards.createStream(kinesis, "ws-tls", 1);
        kinesis.putRecord(b -> b.streamName("ws-tls").partitionKey("k").data(SdkBytes.fromUtf8String("{\"n\":1}")));
        try (WsSubscriber ws = WsSubscriber.jdkTls(eddy.tlsEndpoint(), ssl,
                "/v1/streams/ws-tls/subscribe?from=TRIM_HORIZON")) {
            List<JsonObject> events = ws.awaitEvents(1, WAIT);
            assertEquals(1, events.get(0).getJsonObject("data").getInteger("n"));
            assertEquals("k", events.get(0).getString("partitionKey"));
        }
    }

    @Test
    void aRestartOnTheSameDataReusesTheCertificate() throws Exception {
        try (EddyFixture other = EddyFixture.start(c -> c.withTls(TlsSettings.onPort(0))
                .withDataDir(tmp.resolve("restarted")))) {
            TlsMaterial first = other.server().tls().orElseThrow();
            assertEquals(TlsMaterial.Origin.GENERATED, first.origin());
            assertNotEquals(material.fingerprint(), first.fingerprint(), "each data directory gets its own certificate");
            String pem = Files.readString(first.certPath());

            other.restart();
            TlsMaterial second = other.server().tls().orElseThrow();
            assertEquals(TlsMaterial.Origin.REUSED, second.origin());
            assertEquals(first.fingerprint(), second.fingerprint());
            assertEquals(first.certPath(), second.certPath());
            assertEquals(pem, Files.readString(second.certPath()));
            // A client that trusted the certificate before the restart still trusts the server after it.
            HttpResponse<String> health = HttpClient.newBuilder().sslContext(sslContext(trusting(first.certPath())))
                    .build().send(HttpRequest.newBuilder(other.tlsEndpoint().resolve("/health")).timeout(WAIT).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        }
    }

    @Test
    void givenCertificateAndKeyFilesAreServed() throws Exception {
        // A pair made elsewhere (as an operator's own would be), passed as files.
        TlsMaterial made = TlsMaterial.resolveBlocking(TlsSettings.onPort(0), tmp.resolve("elsewhere"), "127.0.0.1",
                Clock.systemUTC());
        Path cert = Files.copy(made.certPath(), tmp.resolve("server-cert.pem"));
        Path key = Files.copy(made.keyPath(), tmp.resolve("server-key.pem"));
        Path dataDir = tmp.resolve("given-data");
        try (EddyFixture given = EddyFixture.start(c -> c.withTls(new TlsSettings(0, cert, key)).withDataDir(dataDir))) {
            TlsMaterial served = given.server().tls().orElseThrow();
            assertEquals(TlsMaterial.Origin.GIVEN, served.origin());
            assertEquals(cert, served.certPath());
            assertEquals(made.fingerprint(), served.fingerprint());
            assertFalse(Files.exists(given.server().config().dataDir().resolve("tls")),
                    "no certificate is generated when files are given");
            HttpResponse<String> health = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(sslContext(trusting(cert))).build()
                    .send(HttpRequest.newBuilder(given.tlsEndpoint().resolve("/health")).timeout(WAIT).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, health.version());
        }
    }
}
