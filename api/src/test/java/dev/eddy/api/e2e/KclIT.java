package dev.eddy.api.e2e;

import com.google.common.util.concurrent.ListenableFuture;
import dev.eddy.api.TlsSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.KinesisClientUtil;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.InvalidStateException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;
import software.amazon.kinesis.producer.KinesisProducer;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordResult;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real KCL 3.x application against Eddy, its leases in moto's DynamoDB ({@code moto_server}, started here),
 * CloudWatch metrics off: with enhanced fan-out (RegisterStreamConsumer, SubscribeToShard over HTTP/2) and with
 * polling (GetRecords), a 4-shard stream is processed exactly once by the application's checkpoints, in order per
 * partition key, across a split during the run and a restart of the worker; and a real KPL 1.0 producer (native,
 * TLS only, aggregating) whose user records a KCL application reading over TLS (HTTP/2 without ALPN, as the
 * SDK's defaults do) receives de-aggregated, each once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KclIT {

    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("kcl", "kcl"));
    private static final int KEYS = 40;

    private MotoServer moto;
    private EddyFixture eddy;
    private KinesisClient admin;

    @BeforeAll
    void start() throws Exception {
        moto = MotoServer.start();
        // KPL speaks TLS only: a TLS port too, its self-signed certificate in a data directory of the test's.
        Path dataDir = Files.createTempDirectory("kcl-it-");
        eddy = EddyFixture.start(c -> c.withTls(TlsSettings.onPort(0)).withDataDir(dataDir));
        admin = SdkClients.syncCbor(eddy.endpoint());
    }

    @AfterAll
    void stop() {
        admin.close();
        eddy.close();
        moto.close();
    }

    /** What the application processed: every key's counters, in the order its processors saw them. */
    private final Map<String, List<Integer>> processed = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final Map<String, Integer> written = new ConcurrentHashMap<>();

    /** The record processor: records what it got and checkpoints after every batch, at shard end and shutdown. */
    private final class Processor implements ShardRecordProcessor {
        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            for (KinesisClientRecord r : input.records()) {
                String text = StandardCharsets.UTF_8.decode(r.data()).toString();
                int colon = text.indexOf(':');
                processed.computeIfAbsent(text.substring(0, colon), k -> Collections.synchronizedList(new ArrayList<>()))
                        .add(Integer.parseInt(text.substring(colon + 1)));
                total.incrementAndGet();
            }
            checkpoint(() -> input.checkpointer().checkpoint());
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            checkpoint(() -> input.checkpointer().checkpoint());
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            checkpoint(() -> input.checkpointer().checkpoint());
        }
    }

    @FunctionalInterface
    private interface Checkpoint {
        void run() throws Exception;
    }

    private static void checkpoint(Checkpoint c) {
        try {
            c.run();
        } catch (ShutdownException | InvalidStateException e) {
            // the lease moved on: the next owner resumes from the last checkpoint
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void put(String stream, int count) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "key-" + (i % KEYS);
            int n = written.merge(key, 1, Integer::sum) - 1;
            entries.add(PutRecordsRequestEntry.builder().partitionKey(key)
                    .data(SdkBytes.fromUtf8String(key + ":" + n)).build());
            if (entries.size() == 500 || i == count - 1) {
                assertEquals(0, admin.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount());
                entries.clear();
            }
        }
    }

    private void awaitProcessed(int expected, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (total.get() < expected) {
            if (System.nanoTime() > deadline) {
                fail("the KCL application processed " + total.get() + " of " + expected + " records in " + seconds
                        + " s");
            }
            Thread.sleep(100);
        }
    }

    /** A running KCL worker: its scheduler and the clients it was given. */
    private record Worker(Scheduler scheduler, Thread thread, KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo,
                          CloudWatchAsyncClient cloudWatch) {
        void stop() throws Exception {
            scheduler.startGracefulShutdown().get(120, TimeUnit.SECONDS);
            thread.join(60_000);
            kinesis.close();
            dynamo.close();
            cloudWatch.close();
        }
    }

    private Worker worker(String stream, String application, boolean fanOut) {
        return worker(stream, application, fanOut, KinesisClientUtil.createKinesisAsyncClient(KinesisAsyncClient
                .builder().endpointOverride(eddy.endpoint()).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)));
    }

    private Worker worker(String stream, String application, boolean fanOut, KinesisAsyncClient kinesis) {
        DynamoDbAsyncClient dynamo = DynamoDbAsyncClient.builder().endpointOverride(moto.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(CREDENTIALS).build();
        CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder().endpointOverride(moto.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(CREDENTIALS).build();
        ConfigsBuilder configs = new ConfigsBuilder(stream, application, kinesis, dynamo, cloudWatch,
                "worker-" + UUID.randomUUID(), Processor::new);
        var retrieval = configs.retrievalConfig().initialPositionInStreamExtended(
                InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON));
        if (!fanOut) {
            retrieval.retrievalSpecificConfig(new PollingConfig(stream, kinesis).idleTimeBetweenReadsInMillis(200));
        }
        Scheduler scheduler = new Scheduler(
                configs.checkpointConfig(),
                configs.coordinatorConfig().parentShardPollIntervalMillis(500),
                configs.leaseManagementConfig().shardSyncIntervalMillis(1_000).failoverTimeMillis(5_000)
                        .initialPositionInStream(InitialPositionInStreamExtended.newInitialPosition(
                                InitialPositionInStream.TRIM_HORIZON)),
                configs.lifecycleConfig(),
                configs.metricsConfig().metricsLevel(MetricsLevel.NONE),
                configs.processorConfig(),
                retrieval);
        Thread thread = new Thread(scheduler, "kcl-" + application);
        thread.setDaemon(true);
        thread.start();
        return new Worker(scheduler, thread, kinesis, dynamo, cloudWatch);
    }

    private void run(String stream, boolean fanOut) throws Exception {
        Shards.createStream(admin, stream, 4);
        put(stream, 2_000);
        Worker first = worker(stream, stream + "-app", fanOut);
        awaitProcessed(2_000, 240);

        admin.splitShard(b -> b.streamName(stream).shardToSplit("shardId-000000000000")
                .newStartingHashKey("42535295865117307932921825928971026432"));
        put(stream, 1_000);
        awaitProcessed(3_000, 180);

        first.stop();
        put(stream, 1_000);
        Worker second = worker(stream, stream + "-app", fanOut);
        awaitProcessed(4_000, 240);
        Thread.sleep(2_000); // anything processed twice would show up by now
        second.stop();

        assertEquals(4_000, total.get(), "every record once");
        assertEquals(KEYS, processed.size());
        for (Map.Entry<String, List<Integer>> e : processed.entrySet()) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < written.get(e.getKey()); i++) {
                expected.add(i);
            }
            assertEquals(expected, e.getValue(), "the records of " + e.getKey() + ": each once, in order");
        }
        assertTrue(admin.listShards(b -> b.streamName(stream)).shards().size() == 6);
    }

    @Test
    void fanOutApplicationProcessesEveryRecordOnceAcrossASplitAndAWorkerRestart() throws Exception {
        reset();
        run("kcl-fan-out", true);
        assertEquals(1, admin.listStreamConsumers(b -> b.streamARN(admin.describeStreamSummary(s -> s
                .streamName("kcl-fan-out")).streamDescriptionSummary().streamARN())).consumers().size(),
                "KCL registered its consumer");
    }

    @Test
    void pollingApplicationProcessesEveryRecordOnceAcrossASplitAndAWorkerRestart() throws Exception {
        reset();
        run("kcl-polling", false);
    }

    @Test
    void kplAggregatedRecordsArriveDeaggregatedByKclEachOnce() throws Exception {
        reset();
        String stream = "kpl-orders";
        Shards.createStream(admin, stream, 4);
        KinesisProducerConfiguration config = new KinesisProducerConfiguration()
                .setRegion("us-east-1")
                .setKinesisEndpoint("127.0.0.1")
                .setKinesisPort(eddy.tlsEndpoint().getPort())
                .setCaCertFile(eddy.server().tls().orElseThrow().certPath().toString()) // trust exactly it
                .setCredentialsProvider(CREDENTIALS)
                .setMetricsLevel("none")
                .setAggregationEnabled(true)
                .setRecordMaxBufferedTime(200)
                .setLogLevel("warning");
        KinesisProducer kpl = new KinesisProducer(config);
        List<ListenableFuture<UserRecordResult>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                String key = "key-" + (i % KEYS);
                int n = written.merge(key, 1, Integer::sum) - 1;
                results.add(kpl.addUserRecord(stream, key,
                        ByteBuffer.wrap((key + ":" + n).getBytes(StandardCharsets.UTF_8))));
                if (i == 0) {
                    // KPL learns the stream's shards (ListShards) on its first record; until then it cannot tell
                    // which records share a shard and sends them one by one.
                    kpl.flushSync();
                    results.get(0).get(60, TimeUnit.SECONDS);
                    Thread.sleep(500);
                }
            }
            kpl.flushSync();
            int aggregatedInto = 0;
            java.util.Set<String> sequenceNumbers = new java.util.HashSet<>();
            for (ListenableFuture<UserRecordResult> f : results) {
                UserRecordResult r = f.get(120, TimeUnit.SECONDS);
                assertTrue(r.isSuccessful(), () -> "KPL put failed: " + r.getAttempts());
                sequenceNumbers.add(r.getSequenceNumber());
            }
            aggregatedInto = sequenceNumbers.size();
            assertTrue(aggregatedInto < 10_000 / 10, "KPL aggregated the user records into few Kinesis records: "
                    + aggregatedInto);
        } finally {
            kpl.destroy();
        }
        // This application reads over TLS too, its client as KinesisClientUtil makes it (HTTP/2 assumed, no ALPN)
        // but trusting the server's certificate.
        var trust = TlsTest.trusting(eddy.server().tls().orElseThrow().certPath());
        Worker worker = worker(stream, stream + "-app", true, KinesisAsyncClient.builder()
                .endpointOverride(eddy.tlsEndpoint()).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                        .maxConcurrency(Integer.MAX_VALUE).tlsTrustManagersProvider(() -> trust))
                .build());
        awaitProcessed(10_000, 240);
        Thread.sleep(2_000);
        worker.stop();
        assertEquals(10_000, total.get(), "every user record once");
        for (Map.Entry<String, List<Integer>> e : processed.entrySet()) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < written.get(e.getKey()); i++) {
                expected.add(i);
            }
            // KPL sends a key's records in several concurrent PutRecords calls and makes no promise of their
            // order (as its documentation says); each arrives once.
            List<Integer> got = new ArrayList<>(e.getValue());
            got.sort(null);
            assertEquals(expected, got, "the user records of " + e.getKey() + ": each once");
        }
    }

    private void reset() {
        processed.clear();
        written.clear();
        total.set(0);
    }
}
