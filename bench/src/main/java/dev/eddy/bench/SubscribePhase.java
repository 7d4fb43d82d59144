package dev.eddy.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordRequest;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Subscribe mode (and latency mode, which is this with one subscriber): connects the WebSocket subscribers,
 * then puts records one per PutRecord call on an open-loop schedule and waits until every subscriber has
 * received every acknowledged record (or stops receiving).
 * Used by one thread, the command's main thread, which blocks while it waits (never an event loop); the
 * subscribers run on their own Vert.x event loops, the SDK on its own threads.
 */
final class SubscribePhase {

    /** What the subscribe run measured and found. */
    record Result(long planned, long acknowledged, long putErrors, String firstPutError, double produceSeconds,
                  Histogram putLatencyMicros, Histogram ackFromScheduledMicros, Histogram sendLagMicros,
                  Histogram fromScheduledMicros, Histogram fromSentMicros, List<SubscriberResult> subscribers,
                  long maxBacklog, double drainSeconds, double eventLoopCpuPercent, double processCpuPercent,
                  ServerCpu serverCpu, String putContentType, Verification verification) {
    }

    /** One subscriber's counts. */
    record SubscriberResult(int index, long events, long distinct, long lost, long duplicated, long reordered,
                            long corrupted, long errorFrames, String problem) {
    }

    /** The verdict over all subscribers; {@code ok} only if nothing was lost, duplicated, reordered or corrupted. */
    record Verification(long expected, long lost, long duplicated, long reordered, long corrupted, long errors,
                        long putErrors, long receivedUnacknowledged) {
        boolean ok() {
            return lost == 0 && duplicated == 0 && reordered == 0 && corrupted == 0 && errors == 0 && putErrors == 0;
        }
    }

    /** How long subscribers may go without receiving anything, after the producer stopped, before they count as done. */
    private static final long DRAIN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
    /**
     * This many PutRecord calls before the subscribers connect, to warm the producer up; not part of the run. They
     * are not paced at the rate (16 in flight), so a low rate does not make them slow, and they are as many at a
     * low rate as at a high one: with 100 (three seconds' worth of 20/s, as before) the producer's HTTP client ran
     * interpreted through a 20/s run and added ~1 ms to each acknowledgement the bench reported.
     */
    static final int PREWARM_RECORDS = 3000;
    private static final String JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

    private final KinesisAsyncClient client;
    private final BenchOptions options;
    private final ServerCpu.Probe serverCpu;
    private final AtomicReference<String> putContentType;
    private final Schedule schedule;
    /** The {@code --producer http} client, else {@code null}. */
    private HttpClient http;
    private final List<Subscriber> subscribers = new ArrayList<>();
    /** Fan-out mode's consumers, their clients, the clients' shared event loops and the consumers' scheduler. */
    private final List<FanOutConsumer> fanOut = new ArrayList<>();
    private final List<KinesisAsyncClient> fanOutClients = new ArrayList<>();
    private SdkEventLoopGroup fanOutLoops;
    private ScheduledExecutorService fanOutRetries;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong putErrors = new AtomicLong();
    private final AtomicReference<String> firstPutError = new AtomicReference<>();
    private final BitSet ackedIds;
    /** Acknowledgement latency from the actual send, after the warm-up. */
    private final ConcurrentHistogram putLatency = new ConcurrentHistogram(MAX_MICROS, 3);
    /** Acknowledgement latency from the scheduled send, after the warm-up. */
    private final ConcurrentHistogram ackFromScheduled = new ConcurrentHistogram(MAX_MICROS, 3);
    private final Histogram sendLag = new Histogram(MAX_MICROS, 3);

    /**
     * @param serverCpu      reads the server's CPU counter before and after the schedule
     * @param putContentType the SDK's PutRecord Content-Type once seen (the {@code sdk} producer's wire format)
     */
    SubscribePhase(KinesisAsyncClient client, BenchOptions options, ServerCpu.Probe serverCpu,
                   AtomicReference<String> putContentType) {
        this.client = client;
        this.options = options;
        this.serverCpu = serverCpu;
        this.putContentType = putContentType;
        long warmup = options.warmup().toMillis() * options.rate() / 1000;
        long measured = Math.max(1, options.duration().toMillis() * options.rate() / 1000);
        this.schedule = new Schedule(options.rate(), warmup + measured, warmup);
        this.ackedIds = new BitSet((int) schedule.total());
    }

    /** The most records subscribe mode plans for (the per-record arrays are indexed by int). */
    static final long MAX_RECORDS = 100_000_000L;

    long planned() {
        return schedule.total();
    }

    long acknowledged() {
        return acked.get();
    }

    /** For the progress line: the fewest records any subscriber has received so far. */
    long slowestSubscriber() {
        long min = Long.MAX_VALUE;
        for (Subscriber s : subscribers) {
            min = Math.min(min, s.distinct.get());
        }
        return subscribers.isEmpty() ? 0 : min;
    }

    Result run() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.eventLoops()).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        // The HTTP producer is a client of its own: its event loop is not shared with the subscribers, so a busy
        // subscriber loop cannot hold records back before they are sent (which the latency would then include).
        Vertx producer = options.producer().equals("http")
                ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1))
                : null;
        try {
            return run(vertx, producer);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (producer != null) {
                producer.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private Result run(Vertx vertx, Vertx producer) throws Exception {
        if (producer != null) {
            int p = options.endpoint().getPort() > 0 ? options.endpoint().getPort() : 80;
            http = producer.createHttpClient(new HttpClientOptions().setDefaultHost(options.endpoint().getHost())
                    .setDefaultPort(p).setTcpNoDelay(true).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
        }
        WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(options.subscribers() + 1)
                .setTcpNoDelay(true)
                .setMaxMessageSize(4 * 1024 * 1024));
        String host = options.endpoint().getHost();
        int port = options.endpoint().getPort() > 0 ? options.endpoint().getPort()
                : "https".equalsIgnoreCase(options.endpoint().getScheme()) ? 443 : 80;
        prewarm();
        // LATEST: the warm-up records above are not delivered; after the shards frame nothing appended is missed.
        String uri = "/v1/streams/" + options.stream() + "/subscribe?from=LATEST";
        // A connection lives on the event loop it was opened from; calls from this (non-Vert.x) thread would all
        // share one, so the subscribers are opened from one context per event loop, in turn.
        if (options.fanOut()) {
            startFanOut();
        } else {
            List<Context> contexts = eventLoopContexts(vertx);
            List<Future<Void>> ready = new ArrayList<>();
            for (int i = 0; i < options.subscribers(); i++) {
                Subscriber s = new Subscriber(i, schedule, options.shards(), options.keys());
                subscribers.add(s);
                Promise<Void> connected = Promise.promise();
                contexts.get(i % contexts.size()).runOnContext(v -> s.connect(ws, host, port, uri).onComplete(connected));
                ready.add(connected.future());
            }
            Future.all(ready).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }

        List<Thread> loops = eventLoopThreads();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long loopCpuBefore = cpu(threads, loops);
        long processCpuBefore = processCpu();
        OptionalDouble serverCpuBefore = serverCpu.read();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        schedule.begin(start);
        long maxBacklog = produce();
        long produced = System.nanoTime();
        double produceSeconds = (produced - start) / 1e9;

        maxBacklog = Math.max(maxBacklog, awaitAcks());
        long drained = awaitSubscribers();
        double drainSeconds = Math.max(0, (drained - produced) / 1e9);
        double wall = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        double loopCpu = (cpu(threads, loops) - loopCpuBefore) / 1e9 / wall * 100;
        double processCpu = processCpuBefore < 0 ? -1 : (processCpu() - processCpuBefore) / 1e9 / wall * 100;
        ServerCpu server = ServerCpu.between(serverCpuBefore, serverCpu.read(), acked.get(), options.subscribers() == 1
                ? "record put and delivered" : "record put and delivered to " + options.subscribers() + " subscribers");

        fanOut.forEach(FanOutConsumer::close);
        fanOutClients.forEach(KinesisAsyncClient::close);
        if (fanOutLoops != null) {
            fanOutLoops.eventLoopGroup().shutdownGracefully();
        }
        if (fanOutRetries != null) {
            fanOutRetries.shutdownNow();
        }
        List<Future<Void>> closing = new ArrayList<>();
        for (Subscriber s : subscribers) {
            closing.add(s.close());
        }
        Future.join(closing).toCompletionStage().toCompletableFuture().handle((v, e) -> null).get(30, TimeUnit.SECONDS);
        ws.close().toCompletionStage().toCompletableFuture().handle((v, e) -> null).get(30, TimeUnit.SECONDS);
        return result(produceSeconds, maxBacklog, drainSeconds, loopCpu, processCpu, server);
    }

    /**
     * Enhanced fan-out: each subscriber is a consumer of its own (its own SDK client, so its own HTTP/2
     * connection, as separate applications have), registered and subscribed to every shard from LATEST.
     */
    private void startFanOut() throws Exception {
        String streamArn = client.describeStreamSummary(b -> b.streamName(options.stream())).get(60, TimeUnit.SECONDS)
                .streamDescriptionSummary().streamARN();
        fanOutLoops = SdkEventLoopGroup.builder().numberOfThreads(2).build();
        fanOutRetries = FanOutConsumer.scheduler();
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int i = 0; i < options.subscribers(); i++) {
            Subscriber s = new Subscriber(i, schedule, options.shards(), options.keys());
            subscribers.add(s);
            KinesisAsyncClient consumerClient = BenchCommand.kinesisClient(options, NettyNioAsyncHttpClient.builder()
                    .protocol(Protocol.HTTP2).eventLoopGroup(fanOutLoops).maxConcurrency(options.shards() + 8)
                    .build(), new AtomicReference<>());
            fanOutClients.add(consumerClient);
            FanOutConsumer consumer = new FanOutConsumer(s, consumerClient, "bench-fan-out-" + i, options.shards(),
                    fanOutRetries);
            fanOut.add(consumer);
            started.add(consumer.start(streamArn));
        }
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }

    /**
     * Warms the SDK's PutRecord path up (class loading, JIT, connections) before the schedule starts, so a cold
     * client does not fall seconds behind it; these records go before the subscribers connect and are not counted.
     */
    private void prewarm() throws Exception {
        int n = PREWARM_RECORDS;
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < n && failure.get() == null; i++) {
            inFlight.acquire();
            int k = i;
            byte[] data = ("{\"warmup\":" + k + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            CompletableFuture<?> call = http != null ? httpPut("bench-warmup-" + (k % 16), data)
                    : client.putRecord(b -> b.streamName(options.stream()).partitionKey("bench-warmup-" + (k % 16))
                            .data(SdkBytes.fromByteArrayUnsafe(data)));
            call.whenComplete((r, err) -> {
                        if (err != null) {
                            failure.compareAndSet(null, err);
                        }
                        inFlight.release();
                    });
        }
        inFlight.acquire(16);
        if (failure.get() != null) {
            throw new IllegalStateException("warming up PutRecord failed: " + failure.get(), failure.get());
        }
    }

    /** Sends every record at its due time (or at once, when late); returns the largest backlog seen. */
    private long produce() {
        long total = schedule.total();
        int size = options.recordSize();
        long maxBacklog = 0;
        long nextSample = System.nanoTime();
        for (long id = 0; id < total; id++) {
            long due = schedule.dueNanos(id);
            long now = System.nanoTime();
            while (now < due) {
                LockSupport.parkNanos(due - now);
                now = System.nanoTime();
            }
            if (now >= nextSample) {
                maxBacklog = Math.max(maxBacklog, backlog());
                nextSample = now + TimeUnit.MILLISECONDS.toNanos(100);
            }
            sendLag.recordValue(Math.min(MAX_MICROS, (now - due) / 1000));
            send(id, size, now);
        }
        return maxBacklog;
    }

    private void send(long id, int size, long now) {
        String key = BenchRecord.partitionKey((int) (id % options.keys()));
        byte[] data = Schedule.data(id, size);
        schedule.sent(id, now);
        sent.incrementAndGet();
        CompletableFuture<?> call;
        try {
            call = http != null ? httpPut(key, data) : client.putRecord(PutRecordRequest.builder()
                    .streamName(options.stream()).partitionKey(key).data(SdkBytes.fromByteArrayUnsafe(data)).build());
        } catch (RuntimeException e) {
            failed(e);
            completed.incrementAndGet();
            return;
        }
        call.whenComplete((response, err) -> {
            if (err != null) {
                failed(err);
            } else {
                if (schedule.measured(id)) {
                    long answered = System.nanoTime();
                    putLatency.recordValue(Math.min(MAX_MICROS, (answered - now) / 1000));
                    ackFromScheduled.recordValue(Math.max(0, Math.min(MAX_MICROS,
                            (answered - schedule.dueNanos(id)) / 1000)));
                }
                synchronized (ackedIds) {
                    ackedIds.set((int) id);
                }
                acked.incrementAndGet();
            }
            completed.incrementAndGet();
        });
    }

    /** A Kinesis JSON 1.1 PutRecord call from the Vert.x client; fails unless the answer is 200. */
    private CompletableFuture<Void> httpPut(String key, byte[] data) {
        Buffer body = Buffer.buffer(new JsonObject().put("StreamName", options.stream()).put("PartitionKey", key)
                .put("Data", Base64.getEncoder().encodeToString(data)).encode());
        // The body is asked for in the same callback that gets the response, so none of it can pass unread.
        return http.request(HttpMethod.POST, "/")
                .compose(request -> request.putHeader("Content-Type", JSON_CONTENT_TYPE)
                        .putHeader("X-Amz-Target", "Kinesis_20131202.PutRecord")
                        .send(body)
                        .compose(response -> response.body().compose(answer -> response.statusCode() == 200
                                ? Future.<Void>succeededFuture()
                                : Future.failedFuture("PutRecord answered " + response.statusCode() + ": " + answer))))
                .toCompletionStage().toCompletableFuture();
    }

    private void failed(Throwable err) {
        putErrors.incrementAndGet();
        Throwable cause = err.getCause() != null && err instanceof java.util.concurrent.CompletionException
                ? err.getCause() : err;
        firstPutError.compareAndSet(null, String.valueOf(cause));
    }

    /** The largest number of sent records some subscriber has not received yet. */
    private long backlog() {
        long s = sent.get();
        long max = 0;
        for (Subscriber sub : subscribers) {
            max = Math.max(max, s - sub.distinct.get());
        }
        return max;
    }

    private long awaitAcks() throws InterruptedException {
        long maxBacklog = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (completed.get() < sent.get() && System.nanoTime() < deadline) {
            maxBacklog = Math.max(maxBacklog, backlog());
            Thread.sleep(10);
        }
        return maxBacklog;
    }

    /** Waits until every subscriber has every acknowledged record, or none made progress for a while. */
    private long awaitSubscribers() throws InterruptedException {
        long target = acked.get();
        long lastProgress = System.nanoTime();
        long lastSum = -1;
        while (true) {
            long sum = 0;
            boolean all = true;
            for (Subscriber s : subscribers) {
                long d = s.distinct.get();
                sum += d;
                all &= d >= target && s.closedEarly == null;
            }
            long now = System.nanoTime();
            if (all) {
                return now;
            }
            if (sum != lastSum) {
                lastSum = sum;
                lastProgress = now;
            } else if (now - lastProgress > DRAIN_IDLE_NANOS) {
                return lastProgress;
            }
            Thread.sleep(1);
        }
    }

    private Result result(double produceSeconds, long maxBacklog, double drainSeconds, double loopCpu,
                          double processCpu, ServerCpu server) {
        Histogram fromScheduled = new Histogram(MAX_MICROS, 3);
        Histogram fromSent = new Histogram(MAX_MICROS, 3);
        List<SubscriberResult> results = new ArrayList<>();
        BitSet ackedCopy;
        synchronized (ackedIds) {
            ackedCopy = (BitSet) ackedIds.clone();
        }
        long expected = ackedCopy.cardinality();
        long lost = 0;
        long duplicated = 0;
        long reordered = 0;
        long corrupted = 0;
        long errors = 0;
        long unacked = 0;
        for (Subscriber s : subscribers) {
            fromScheduled.add(s.fromScheduled);
            fromSent.add(s.fromSent);
            long subscriberLost = 0;
            for (int id = ackedCopy.nextSetBit(0); id >= 0; id = ackedCopy.nextSetBit(id + 1)) {
                if (!s.received(id)) {
                    subscriberLost++;
                }
            }
            long distinct = s.distinct.get();
            unacked = Math.max(unacked, distinct - (expected - subscriberLost));
            String problem = s.firstProblem != null ? s.firstProblem : s.closedEarly;
            results.add(new SubscriberResult(s.index, s.events, distinct, subscriberLost, s.duplicated, s.reordered,
                    s.corrupted, s.errorFrames + (s.closedEarly != null ? 1 : 0), problem));
            lost += subscriberLost;
            duplicated += s.duplicated;
            reordered += s.reordered;
            corrupted += s.corrupted;
            errors += s.errorFrames + (s.closedEarly != null ? 1 : 0);
        }
        Verification v = new Verification(expected, lost, duplicated, reordered, corrupted, errors, putErrors.get(),
                unacked);
        return new Result(schedule.total(), acked.get(), putErrors.get(), firstPutError.get(), produceSeconds,
                putLatency.copy(), ackFromScheduled.copy(), sendLag.copy(), fromScheduled, fromSent, results,
                maxBacklog, drainSeconds, loopCpu, processCpu, server,
                http != null ? JSON_CONTENT_TYPE : putContentType.get(), v);
    }

    /** One context on each of the instance's event loops (each instance of a verticle gets its own loop). */
    private List<Context> eventLoopContexts(Vertx vertx) throws Exception {
        List<Context> contexts = java.util.Collections.synchronizedList(new ArrayList<>());
        vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start() {
                contexts.add(context);
            }
        }, new DeploymentOptions().setInstances(options.eventLoops()))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return List.copyOf(contexts);
    }

    /** The event-loop threads the subscribers' sockets run on. */
    private List<Thread> eventLoopThreads() {
        return subscribers.stream().map(Subscriber::thread).filter(t -> t != null).distinct().toList();
    }

    private static long cpu(ThreadMXBean threads, List<Thread> loops) {
        long sum = 0;
        for (Thread t : loops) {
            long c = threads.getThreadCpuTime(t.getId());
            sum += Math.max(0, c);
        }
        return sum;
    }

    private static long processCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
