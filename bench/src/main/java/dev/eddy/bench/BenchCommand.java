package dev.eddy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.waiters.KinesisAsyncWaiter;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code eddy bench}: creates a stream, writes records with PutRecords, reads them back with GetRecords,
 * verifies them and prints throughput, latency and the verdict; or, with {@code --subscribe}, measures
 * put-to-receive latency of WebSocket subscribers ({@link SubscribePhase}); or, with {@code --latency}, the
 * same with one subscriber, reporting acknowledgement latency too. Every mode reports the server's CPU per
 * record ({@link ServerCpu}). Not thread-safe; one run per call.
 */
public final class BenchCommand {

    private static final double MIB = 1024.0 * 1024.0;

    private BenchCommand() {
    }

    /** Runs the bench; returns 0 when every record verified, 1 otherwise, 2 on bad arguments. */
    public static int run(String[] args) {
        return run(args, System.out, System.err);
    }

    /** Runs the bench printing to the given streams (the report to {@code out}, progress and errors to {@code err}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.BadArgumentException e) {
            err.println("eddy bench: " + e.getMessage());
            return 2;
        }
        if (options == null) {
            out.print(BenchOptions.USAGE);
            return 0;
        }
        if (options.subscribe()) {
            return runSubscribe(options, out, err);
        }
        try {
            Outcome outcome = execute(options, err);
            if (options.json()) {
                out.println(json(options, outcome));
            } else {
                out.print(text(options, outcome));
            }
            out.flush();
            return outcome.read.verification().ok() ? 0 : 1;
        } catch (Exception e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            err.println("eddy bench: failed: " + cause);
            return 1;
        }
    }

    /**
     * What the default mode measured; the server's CPU over the write phase (per record written), the read
     * phase (per record read) and both (per record written, each also read back once).
     */
    private record Outcome(WritePhase.Result write, ReadPhase.Result read, ServerCpu writeCpu, ServerCpu readCpu,
                           ServerCpu totalCpu, String putContentType) {
    }

    private static int runSubscribe(BenchOptions options, PrintStream out, PrintStream err) {
        try {
            SubscribePhase.Result result = withStream(options, err, (client, progress, contentType) -> {
                SubscribePhase phase = new SubscribePhase(client, options, new ServerCpu.Probe(options.endpoint()),
                        contentType);
                progress.phase(options.latency() ? "latency" : "subscribe", phase.planned(), phase::acknowledged,
                        () -> String.format(Locale.ROOT, "; slowest subscriber %,d", phase.slowestSubscriber()));
                return phase.run();
            });
            out.print(options.json() ? SubscribeReport.json(options, result) + System.lineSeparator()
                    : SubscribeReport.text(options, result));
            out.flush();
            return result.verification().ok() ? 0 : 1;
        } catch (Exception e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            err.println("eddy bench: failed: " + cause);
            return 1;
        }
    }

    /** What runs against the bench stream once it is ACTIVE. */
    private interface Body<T> {
        /** {@code putContentType} holds the Content-Type of the SDK's first PutRecord(s) request, once sent. */
        T run(KinesisAsyncClient client, Progress progress, AtomicReference<String> putContentType) throws Exception;
    }

    private static Outcome execute(BenchOptions options, PrintStream err) throws Exception {
        ServerCpu.Probe cpu = new ServerCpu.Probe(options.endpoint());
        return withStream(options, err, (client, progress, contentType) -> {
            WritePhase write = new WritePhase(client, options);
            progress.phase("write", options.records(), write::acknowledged);
            OptionalDouble before = cpu.read();
            WritePhase.Result written = write.run();
            OptionalDouble between = cpu.read();
            ReadPhase read = new ReadPhase(client, options);
            progress.phase("read", options.records(), read::received);
            ReadPhase.Result readBack = read.run();
            OptionalDouble after = cpu.read();
            return new Outcome(written, readBack,
                    ServerCpu.between(before, between, written.records(), "record written"),
                    ServerCpu.between(between, after, readBack.records(), "record read"),
                    ServerCpu.between(before, after, written.records(), "record written and read back"),
                    contentType.get());
        });
    }

    /**
     * The SDK client in the wire format of {@code --wire}. The SDK reads {@code aws.cborEnabled} once, when a
     * client is built, so the property is set only around the build (and restored, for runs inside a test JVM).
     */
    static KinesisAsyncClient kinesisClient(BenchOptions options, SdkAsyncHttpClient http,
                                            AtomicReference<String> putContentType) {
        ExecutionInterceptor wireProbe = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
                if (putContentType.get() == null && operation != null && operation.startsWith("PutRecord")) {
                    context.httpRequest().firstMatchingHeader("Content-Type").ifPresent(t ->
                            putContentType.compareAndSet(null, t));
                }
            }
        };
        synchronized (BenchCommand.class) {
            String previous = System.getProperty("aws.cborEnabled");
            System.setProperty("aws.cborEnabled", String.valueOf(options.wire().equals("cbor")));
            try {
                return KinesisAsyncClient.builder()
                        .endpointOverride(options.endpoint())
                        .region(Region.US_EAST_1)
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("eddy", "eddy")))
                        .httpClient(http)
                        .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofMinutes(2)).addExecutionInterceptor(wireProbe))
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

    /** Creates the bench stream, waits until it is ACTIVE, runs {@code body}, and deletes the stream unless kept. */
    private static <T> T withStream(BenchOptions options, PrintStream err, Body<T> body) throws Exception {
        SdkAsyncHttpClient http = NettyNioAsyncHttpClient.builder()
                .protocol(options.http2() ? Protocol.HTTP2 : Protocol.HTTP1_1)
                // Subscribe mode's open-loop producer may have many one-record calls in flight when the server lags.
                .maxConcurrency(Math.max(options.subscribe() ? 1024 : 64,
                        options.concurrency() * 2 + options.shards() + 4))
                .connectionAcquisitionTimeout(Duration.ofSeconds(60))
                .build();
        AtomicReference<String> putContentType = new AtomicReference<>();
        KinesisAsyncClient client = kinesisClient(options, http, putContentType);
        boolean created = false;
        try (Progress progress = new Progress(err, options.progress())) {
            client.createStream(b -> b.streamName(options.stream()).shardCount(options.shards())).join();
            created = true;
            try (KinesisAsyncWaiter waiter = KinesisAsyncWaiter.builder()
                    .client(client)
                    .overrideConfiguration(WaiterOverrideConfiguration.builder()
                            .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(100)))
                            .maxAttempts(600)
                            .build())
                    .build()) {
                waiter.waitUntilStreamExists(b -> b.streamName(options.stream())).join()
                        .matched().exception().ifPresent(t -> {
                            throw new IllegalStateException("stream " + options.stream() + " never became ACTIVE", t);
                        });
            }
            return body.run(client, progress, putContentType);
        } finally {
            if (created && !options.keep()) {
                try {
                    client.deleteStream(b -> b.streamName(options.stream()).enforceConsumerDeletion(true)).join();
                } catch (RuntimeException e) {
                    err.println("eddy bench: could not delete stream " + options.stream() + ": " + e.getMessage());
                }
            }
            client.close();
            http.close();
        }
    }

    static double rate(double amount, double seconds) {
        return seconds <= 0 ? 0 : amount / seconds;
    }

    static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    static String json(BenchOptions options, Outcome outcome) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        WritePhase.Result w = outcome.write;
        ReadPhase.Result r = outcome.read;
        Verification v = r.verification();
        ObjectNode write = root.putObject("write");
        write.put("records", w.records());
        write.put("recordsPerSec", round(rate(w.records(), w.seconds()), 1));
        write.put("mibPerSec", round(rate(w.bytes() / MIB, w.seconds()), 2));
        ObjectNode latency = write.putObject("latencyMs");
        latency.put("p50", round(ms(w.latencyMicros(), 50), 3));
        latency.put("p99", round(ms(w.latencyMicros(), 99), 3));
        latency.put("max", round(w.latencyMicros().getTotalCount() == 0 ? 0
                : w.latencyMicros().getMaxValue() / 1000.0, 3));
        write.put("seconds", round(w.seconds(), 3));
        write.put("calls", w.calls());
        write.put("retriedEntries", w.retriedEntries());
        ObjectNode read = root.putObject("read");
        read.put("records", r.records());
        read.put("recordsPerSec", round(rate(r.records(), r.seconds()), 1));
        read.put("mibPerSec", round(rate(r.bytes() / MIB, r.seconds()), 2));
        read.put("seconds", round(r.seconds(), 3));
        read.put("calls", r.calls());
        ObjectNode verify = root.putObject("verify");
        verify.put("ok", v.ok());
        verify.put("expected", v.expected());
        verify.put("lost", v.lost());
        verify.put("duplicated", v.duplicated());
        verify.put("corrupted", v.corrupted());
        verify.put("reordered", v.reordered());
        verify.put("nonIncreasing", v.nonIncreasing());
        verify.put("misroutedKeys", v.misroutedKeys());
        ObjectNode cpu = root.putObject("serverCpu");
        outcome.writeCpu.json(cpu.putObject("write"));
        outcome.readCpu.json(cpu.putObject("read"));
        outcome.totalCpu.json(cpu.putObject("total"));
        ObjectNode config = root.putObject("config");
        config.put("mode", "write-read");
        config.put("endpoint", options.endpoint().toString());
        config.put("stream", options.stream());
        config.put("wire", options.wire());
        if (outcome.putContentType != null) {
            config.put("putContentType", outcome.putContentType);
        }
        config.put("records", options.records());
        config.put("recordSize", options.recordSize());
        config.put("shards", options.shards());
        config.put("keys", options.keys());
        config.put("batch", options.batch());
        config.put("concurrency", options.concurrency());
        config.put("http2", options.http2());
        return root.toString();
    }

    static String text(BenchOptions options, Outcome outcome) {
        WritePhase.Result w = outcome.write;
        ReadPhase.Result r = outcome.read;
        Verification v = r.verification();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "eddy bench: stream %s at %s, %,d records of %,d bytes, %d shards, "
                        + "%d keys, batch %d, concurrency %d, wire %s%s%n",
                options.stream(), options.endpoint(), options.records(), options.recordSize(), options.shards(),
                options.keys(), options.batch(), options.concurrency(), options.wire(),
                options.http2() ? ", HTTP/2" : ""));
        sb.append(String.format(Locale.ROOT, "write: %,d records in %.2f s = %,.0f records/s, %.1f MiB/s; "
                        + "PutRecords latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (%,d calls, %,d entries retried)%n",
                w.records(), w.seconds(), rate(w.records(), w.seconds()), rate(w.bytes() / MIB, w.seconds()),
                ms(w.latencyMicros(), 50), ms(w.latencyMicros(), 99),
                w.latencyMicros().getTotalCount() == 0 ? 0 : w.latencyMicros().getMaxValue() / 1000.0,
                w.calls(), w.retriedEntries()));
        sb.append(String.format(Locale.ROOT, "read:  %,d records in %.2f s = %,.0f records/s, %.1f MiB/s "
                        + "(%,d GetRecords calls over %d shards)%n",
                r.records(), r.seconds(), rate(r.records(), r.seconds()), rate(r.bytes() / MIB, r.seconds()),
                r.calls(), r.shards()));
        sb.append(String.format(Locale.ROOT, "verify: %s: %,d of %,d records read back; lost %d, duplicated %d, "
                        + "corrupted %d, reordered %d, non-increasing sequence numbers %d, keys on several shards %d%n",
                v.ok() ? "OK" : "FAILED", v.distinct(), v.expected(), v.lost(), v.duplicated(), v.corrupted(),
                v.reordered(), v.nonIncreasing(), v.misroutedKeys()));
        if (outcome.totalCpu.known()) {
            sb.append(outcome.totalCpu.text("server CPU")).append(System.lineSeparator());
            sb.append("  ").append(outcome.writeCpu.text("write phase")).append("; ")
                    .append(outcome.readCpu.text("read phase")).append(System.lineSeparator());
        } else {
            sb.append(outcome.totalCpu.text("server CPU")).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
