package dev.eddy.api.e2e;

import dev.eddy.api.EddyConfig;
import dev.eddy.api.EddyServer;
import dev.eddy.eventstore.postgres.PostgresTestServer;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PostgreSQL goes away under load and comes back, while Eddy keeps running in this JVM: every PutRecords call
 * either succeeds, with each non-failed entry truly stored, or fails with a retryable error (HTTP 503
 * {@code ServiceUnavailable}, 500 {@code InternalFailure}, or per-entry {@code InternalFailure}); no call hangs;
 * no call that started after the database was down and ended before it was back reports a stored record; writes
 * succeed again within a bounded time without restarting Eddy; and every acknowledged record (before, during and
 * after the outage) is readable, byte-identical, under the sequence number and shard it was acknowledged with.
 * Two outages: a fast shutdown ({@code pg_ctl -m fast}) and a crash-like immediate one ({@code -m immediate}).
 *
 * <p>Needs a PostgreSQL server this JVM can stop and start ({@link PostgresTestServer#canRestart()}): the
 * binaries path, which CI uses. With {@code EDDY_TEST_PG_URL} or a container it is skipped, saying why.
 */
class PostgresOutageIT {

    private static final String STREAM = "outage";
    private static final int WRITERS = 4;
    private static final int SHARDS = 4;
    private static final int OUTAGES = 2;
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(30);

    private record Acked(String shardId, byte[] data) {
    }

    /** One call's outcome, for the time-line checks. */
    private record Call(long startNanos, long endNanos, int stored, String failure) {
    }

    private final Map<String, Acked> acked = new ConcurrentHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private Vertx vertx;
    private EddyServer server;
    private PrintStream originalErr;
    private final ByteArrayOutputStream errCopy = new ByteArrayOutputStream();

    @AfterEach
    void tearDown() {
        try {
            if (!PostgresTestServer.canRestart()) {
                return;
            }
            PostgresTestServer.start(); // a failed test must not leave the shared server down
            if (server != null) {
                EddyFixture.await(server.close());
            }
        } finally {
            if (vertx != null) {
                EddyFixture.await(vertx.close());
            }
            if (originalErr != null) {
                System.setErr(originalErr);
            }
        }
    }

    @Test
    void writesFailRetryablyWhileTheDatabaseIsDownAndRecoverWhenItReturns() throws Exception {
        assumeTrue(PostgresTestServer.canRestart(), "the test PostgreSQL server (" + PostgresTestServer.source()
                + ") is not one this JVM started from the binaries, so it cannot be stopped and restarted; unset "
                + PostgresTestServer.URL_ENV + " and run without Docker to run this test");
        captureStderr();
        vertx = Vertx.vertx(); // default options: the blocked-thread checker is on
        server = EddyFixture.await(EddyServer.start(vertx, EddyConfig.defaults().withPort(0).withHost("127.0.0.1")
                .withStorage("postgres").withPostgres(PostgresTestServer.createDatabase(), 4)));
        URI endpoint = URI.create("http://127.0.0.1:" + server.actualPort());

        try (KinesisClient client = client(endpoint)) {
            client.createStream(b -> b.streamName(STREAM).shardCount(SHARDS));
            try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                    .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
                waiter.waitUntilStreamExists(b -> b.streamName(STREAM));
            }
            List<Shard> shards = client.listShards(b -> b.streamName(STREAM)).shards();

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sequence = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            List<long[]> outages = new ArrayList<>(); // {down, up} per outage
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    writers.add(pool.submit(() -> write(client, writer, stop, sequence)));
                }
                awaitAcked(1, Duration.ofSeconds(20));
                Thread.sleep(500);
                int ackedBeforeOutage = acked.size();

                StringBuilder recoveries = new StringBuilder();
                for (int outage = 1; outage <= OUTAGES; outage++) {
                    if (outage % 2 == 1) {
                        PostgresTestServer.stop(); // pg_ctl -m fast: connections terminated with an error
                    } else {
                        PostgresTestServer.crash(); // pg_ctl -m immediate: gone at once, crash recovery on start
                    }
                    long down = System.nanoTime();
                    Thread.sleep(2500); // writers keep writing against a database that is gone
                    checkReadsAndProbesDuringOutage(client, shards, endpoint);
                    long up = System.nanoTime();
                    outages.add(new long[]{down, up});
                    PostgresTestServer.start();
                    long restarted = System.nanoTime();

                    // Writes succeed again, without restarting Eddy, within the bound.
                    long recovered = awaitFullSuccessAfter(restarted, RECOVERY_BOUND);
                    recoveries.append(' ').append(TimeUnit.NANOSECONDS.toMillis(recovered - restarted)).append(" ms");
                    awaitAcked(acked.size() + 200, Duration.ofSeconds(20));
                }
                stop.set(true);
                for (Future<?> f : writers) {
                    f.get(60, TimeUnit.SECONDS);
                }
                Map<String, Integer> outcomes = new java.util.TreeMap<>();
                long slowest = 0;
                for (Call c : calls) {
                    outcomes.merge(c.failure() == null ? "ok" : c.failure().replaceAll("^\\d+ entries", "n entries"),
                            1, Integer::sum);
                    slowest = Math.max(slowest, c.endNanos() - c.startNanos());
                }
                System.out.printf("outage IT: %d calls %s, slowest %d ms; %d acknowledged before the first outage,"
                                + " %d in all; writes succeeded again after PostgreSQL's restarts in%s%n", calls.size(),
                        outcomes, TimeUnit.NANOSECONDS.toMillis(slowest), ackedBeforeOutage, acked.size(), recoveries);
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }

            assertTrue(violations.isEmpty(), "calls with a non-retryable or wrong outcome: " + violations);
            for (long[] outage : outages) {
                List<Call> during = calls.stream()
                        .filter(c -> c.startNanos() > outage[0] && c.endNanos() < outage[1]).toList();
                assertTrue(!during.isEmpty(), "no call ran entirely during an outage: " + calls.size() + " calls");
                for (Call c : during) {
                    assertEquals(0, c.stored(), "a call made while PostgreSQL was down reported stored records: " + c);
                }
            }
            verify(client, shards);
        }
        assertCleanStderr();
    }

    /** Writes batches until stopped, recording each call's outcome; never throws. */
    private Void write(KinesisClient client, int writer, AtomicBoolean stop, AtomicLong sequence) {
        SplittableRandom random = new SplittableRandom(writer);
        while (!stop.get()) {
            long callId = sequence.incrementAndGet();
            int size = 10 + random.nextInt(41);
            List<PutRecordsRequestEntry> entries = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                byte[] data = new byte[12 + random.nextInt(200)];
                for (int j = 12; j < data.length; j++) {
                    data[j] = (byte) random.nextInt();
                }
                ByteBuffer.wrap(data).putLong(callId).putInt(i);
                entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + random.nextInt(64))
                        .data(SdkBytes.fromByteArrayUnsafe(data)).build());
            }
            long start = System.nanoTime();
            PutRecordsResponse response;
            try {
                response = client.putRecords(b -> b.streamName(STREAM).records(entries));
            } catch (AwsServiceException e) {
                String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
                boolean retryable = (e.statusCode() == 503 && "ServiceUnavailable".equals(code))
                        || (e.statusCode() == 500 && "InternalFailure".equals(code));
                if (!retryable) {
                    violations.add("call " + callId + " failed with " + e.statusCode() + " " + code + ": "
                            + e.getMessage());
                }
                calls.add(new Call(start, System.nanoTime(), 0, e.statusCode() + " " + code));
                pause();
                continue;
            } catch (RuntimeException e) {
                // A timeout or a dropped connection: the server hung or broke a request instead of answering.
                violations.add("call " + callId + " got no answer: " + e);
                calls.add(new Call(start, System.nanoTime(), 0, e.toString()));
                pause();
                continue;
            }
            long end = System.nanoTime();
            int stored = 0;
            if (response.records().size() != size) {
                violations.add("call " + callId + ": " + response.records().size() + " results for " + size + " entries");
            }
            int failed = 0;
            for (int i = 0; i < response.records().size(); i++) {
                PutRecordsResultEntry result = response.records().get(i);
                if (result.errorCode() == null) {
                    if (result.sequenceNumber() == null || result.shardId() == null) {
                        violations.add("call " + callId + " entry " + i + ": success without a sequence number");
                        continue;
                    }
                    Acked previous = acked.put(result.sequenceNumber(),
                            new Acked(result.shardId(), entries.get(i).data().asByteArrayUnsafe()));
                    if (previous != null) {
                        violations.add("sequence number " + result.sequenceNumber() + " acknowledged twice");
                    }
                    stored++;
                } else {
                    failed++;
                    if (!"InternalFailure".equals(result.errorCode())) {
                        violations.add("call " + callId + " entry " + i + " failed with " + result.errorCode());
                    }
                }
            }
            if (response.failedRecordCount() == null || response.failedRecordCount() != failed) {
                violations.add("call " + callId + ": FailedRecordCount " + response.failedRecordCount() + ", counted "
                        + failed);
            }
            calls.add(new Call(start, end, stored, failed == 0 ? null : failed + " entries failed"));
            if (failed > 0) {
                pause();
            }
        }
        return null;
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** While the database is down: reads fail retryably and promptly, and the server still answers /health. */
    private void checkReadsAndProbesDuringOutage(KinesisClient client, List<Shard> shards, URI endpoint)
            throws Exception {
        try {
            client.getShardIterator(b -> b.streamName(STREAM).shardId(shards.get(0).shardId())
                    .shardIteratorType(ShardIteratorType.LATEST));
            fail("GetShardIterator LATEST succeeded while PostgreSQL was down");
        } catch (AwsServiceException e) {
            assertEquals(503, e.statusCode(), "GetShardIterator during the outage: " + e.getMessage());
            assertEquals("ServiceUnavailable", e.awsErrorDetails().errorCode());
        }
        String iterator = null;
        try {
            iterator = client.getShardIterator(b -> b.streamName(STREAM).shardId(shards.get(0).shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator(); // needs no database
            String it = iterator;
            client.getRecords(b -> b.shardIterator(it));
            fail("GetRecords succeeded while PostgreSQL was down");
        } catch (AwsServiceException e) {
            assertNotNull(iterator, "TRIM_HORIZON iterator: " + e.getMessage());
            assertEquals(503, e.statusCode(), "GetRecords during the outage: " + e.getMessage());
            assertEquals("ServiceUnavailable", e.awsErrorDetails().errorCode());
        }
        try {
            client.putRecord(b -> b.streamName(STREAM).partitionKey("probe").data(SdkBytes.fromUtf8String("probe")));
            fail("PutRecord succeeded while PostgreSQL was down");
        } catch (AwsServiceException e) {
            assertEquals(503, e.statusCode(), "PutRecord during the outage: " + e.getMessage());
            assertEquals("ServiceUnavailable", e.awsErrorDetails().errorCode());
        }
        // Liveness and readiness answer (the process is fine; requests fail retryably until the database is back).
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String path : List.of("/health", "/ready")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint.resolve(path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + " during the outage: " + r.body());
        }
    }

    private void awaitAcked(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acked.size() < count) {
            if (System.nanoTime() > deadline) {
                fail("fewer than " + count + " records acknowledged within " + timeout + ": " + acked.size()
                        + "; violations: " + violations + "; last calls: " + lastCalls());
            }
            Thread.sleep(20);
        }
    }

    /** Waits for a call that started after {@code sinceNanos} and stored all its entries; gives its end time. */
    private long awaitFullSuccessAfter(long sinceNanos, Duration timeout) throws InterruptedException {
        long deadline = sinceNanos + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Call c : calls) {
                if (c.startNanos() > sinceNanos && c.failure() == null) {
                    return c.endNanos();
                }
            }
            Thread.sleep(20);
        }
        fail("writes did not succeed again within " + timeout + " of PostgreSQL's restart; last calls: " + lastCalls());
        return 0;
    }

    private List<Call> lastCalls() {
        List<Call> all = new ArrayList<>(calls);
        return all.subList(Math.max(0, all.size() - 8), all.size());
    }

    /** Every acknowledged record is on its shard under its sequence number, byte for byte; shards are ordered. */
    private void verify(KinesisClient client, List<Shard> shards) {
        Map<String, Record> bySequence = new HashMap<>();
        Map<String, String> shardOf = new HashMap<>();
        for (Shard shard : shards) {
            BigInteger last = BigInteger.valueOf(-1);
            for (Record r : Shards.readShard(client, STREAM, shard.shardId())) {
                BigInteger seq = new BigInteger(r.sequenceNumber());
                assertTrue(seq.compareTo(last) > 0, shard.shardId() + ": " + last + " then " + seq);
                last = seq;
                bySequence.put(r.sequenceNumber(), r);
                shardOf.put(r.sequenceNumber(), shard.shardId());
            }
        }
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            Record r = bySequence.get(e.getKey());
            assertNotNull(r, "acknowledged record " + e.getKey() + " on " + e.getValue().shardId() + " is missing; "
                    + acked.size() + " acknowledged, " + bySequence.size() + " read");
            assertEquals(e.getValue().shardId(), shardOf.get(e.getKey()), "shard of " + e.getKey());
            assertArrayEquals(e.getValue().data(), r.data().asByteArrayUnsafe(), "data of " + e.getKey());
        }
    }

    /** Tees this JVM's stderr (where slf4j-simple writes Vert.x's warnings) to look for the blocked-thread checker. */
    private void captureStderr() {
        originalErr = System.err;
        PrintStream original = originalErr;
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (errCopy) {
                    errCopy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (errCopy) {
                    errCopy.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
    }

    private void assertCleanStderr() {
        String err;
        synchronized (errCopy) {
            err = errCopy.toString(StandardCharsets.UTF_8);
        }
        assertTrue(!err.contains("Thread blocked") && !err.contains("has been blocked for"),
                "blocked-thread warnings:\n" + err);
        // Dropped connections are reported to the callers, not dumped as bare stack traces on stderr.
        List<String> dumps = err.lines()
                .filter(l -> l.startsWith("io.vertx.pgclient.") || l.startsWith("java.io.IOException")).toList();
        assertTrue(dumps.isEmpty(), "stack traces printed on stderr: " + dumps);
    }

    private static KinesisClient client(URI endpoint) {
        return SdkClients.syncNoRetries(endpoint, WRITERS + 2, Duration.ofSeconds(25));
    }
}
