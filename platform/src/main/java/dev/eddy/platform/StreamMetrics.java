package dev.eddy.platform;

import dev.eddy.eventstore.spi.WriteObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Eddy's own metrics, named after Kinesis's CloudWatch metrics (see the README's Monitoring table), on a
 * Micrometer registry. Labels are bounded: {@code stream} is the name of a stream that exists (anything
 * else is recorded as {@code ""}), {@code shard} appears only on the {@code eddy_shard_*} metrics of streams
 * with shard-level monitoring, and partition keys never appear. Meters are created once per stream and
 * cached, so recording costs a map lookup and an add. Thread-safe.
 */
public final class StreamMetrics {

    /** Request latency buckets, seconds: 0.5 ms to 10 s. */
    private static final Duration[] LATENCY_BUCKETS = {
            Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10)};
    /** Store phase buckets, seconds: 10 us to 100 ms. */
    private static final Duration[] PHASE_BUCKETS = {
            Duration.ofNanos(10_000), Duration.ofNanos(25_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000),
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(100)};
    /** A reader's lag counts for the iterator-age gauge this long after its last read. */
    private static final long AGE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final MeterRegistry registry;
    private final Predicate<String> shardLevel;
    private final ConcurrentMap<String, PerStream> streams = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Timer> requestPhases = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Set<LongSupplier>> subscriptions = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, List<Meter>> subscriptionMeters = new ConcurrentHashMap<>();
    private final Timer storageAppend;
    private final DistributionSummary commitAppends;
    private final Timer phaseQueue;
    private final Timer phaseApply;
    private final Timer phaseSync;
    private final Timer phaseHandback;
    private final String backend;

    /**
     * @param registry   where the meters live
     * @param shardLevel which streams get the {@code eddy_shard_*} metrics (shard-level monitoring)
     * @param backend    the storage backend's name, a label of the storage metrics
     */
    public StreamMetrics(MeterRegistry registry, Predicate<String> shardLevel, String backend) {
        this.registry = registry;
        this.shardLevel = shardLevel;
        this.backend = backend;
        this.storageAppend = Timer.builder("eddy.storage.append.duration")
                .description("Durable append of one batch to a shard's log")
                .tags("backend", backend)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        this.commitAppends = DistributionSummary.builder("eddy.storage.commit.appends")
                .description("Appends acknowledged by one storage commit (group-commit size)")
                .tags("backend", backend)
                .register(registry);
        this.phaseQueue = phase("queue", "A commit group's oldest write waiting for the store's writer");
        this.phaseApply = phase("apply", "Checking, encoding and staging a commit group's writes");
        this.phaseSync = phase("sync", "The commit itself (MapDB: one redo-log append and fdatasync)");
        this.phaseHandback = phase("handback", "From the end of a commit to the write's completion on its caller's thread");
        Gauge.builder("eddy.streams", streams, m -> m.size())
                .description("Streams that exist")
                .register(registry);
    }

    private Timer phase(String phase, String description) {
        return Timer.builder("eddy.storage.phase")
                .description("Where a durable write's time goes inside the store: " + description)
                .tags("backend", backend, "phase", phase)
                .serviceLevelObjectives(PHASE_BUCKETS)
                .register(registry);
    }

    /** Metrics that go nowhere (a registry without backends), for embedded use and tests. */
    public static StreamMetrics disabled() {
        return new StreamMetrics(new CompositeMeterRegistry(), s -> false, "none");
    }

    /** The registry the meters live in. */
    public MeterRegistry registry() {
        return registry;
    }

    // ---- stream lifecycle ------------------------------------------------------------------------

    /**
     * Creates a stream's meters (counters start at zero, so rates and alerts see the stream at once).
     * {@code storedRecords} and {@code storedBytes} are read at scrape time and must not block.
     */
    public void streamCreated(String stream, LongSupplier storedRecords, LongSupplier storedBytes) {
        streams.computeIfAbsent(stream, s -> new PerStream(s, storedRecords, storedBytes));
    }

    /** Removes a deleted stream's meters. */
    public void streamDeleted(String stream) {
        PerStream gone = streams.remove(stream);
        if (gone != null) {
            gone.meters.forEach(registry::remove);
            gone.shardMeters.values().forEach(m -> m.forEach(registry::remove));
        }
        String infix = '\n' + stream + '\n';
        String suffix = '\n' + stream;
        requestTimers.entrySet().removeIf(e -> e.getKey().endsWith(suffix) && registry.remove(e.getValue()) != null);
        requestCounters.entrySet().removeIf(e -> e.getKey().contains(infix) && registry.remove(e.getValue()) != null);
        String prefix = stream + '\n';
        subscriptions.keySet().removeIf(k -> k.startsWith(prefix));
        subscriptionMeters.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(prefix)) {
                e.getValue().forEach(registry::remove);
                return true;
            }
            return false;
        });
    }

    /** The stream label for a name from a request: the name if the stream exists, else {@code ""}. */
    public String streamLabel(String stream) {
        return stream != null && streams.containsKey(stream) ? stream : "";
    }

    // ---- recording -------------------------------------------------------------------------------

    /** Records acknowledged by a shard. */
    public void incoming(String stream, String shardId, int records, long bytes) {
        PerStream s = streams.get(stream);
        if (s == null) {
            return;
        }
        s.incomingRecords.increment(records);
        s.incomingBytes.increment(bytes);
        if (s.shardLevel) {
            s.shard(shardId).incomingRecords.increment(records);
            s.shard(shardId).incomingBytes.increment(bytes);
        }
    }

    /**
     * Records handed to a reader: {@code via} is {@code get_records} (polling, Kinesis or REST), {@code websocket}
     * or {@code fan_out} (SubscribeToShard).
     */
    public void outgoing(String stream, String shardId, String via, int records, long bytes) {
        PerStream s = streams.get(stream);
        if (s == null || records == 0) {
            return;
        }
        if (via.equals("websocket")) {
            s.websocketRecords.increment(records);
            s.websocketBytes.increment(bytes);
        } else if (via.equals("fan_out")) {
            s.fanOutRecords.increment(records);
            s.fanOutBytes.increment(bytes);
        } else {
            s.getRecordsRecords.increment(records);
            s.getRecordsBytes.increment(bytes);
        }
        if (s.shardLevel) {
            s.shard(shardId).outgoingRecords.increment(records);
        }
    }

    /**
     * A read's records handed to a reader ({@code via}: {@code get_records} for polling reads, whose lag
     * also feeds the iterator age, or {@code websocket}).
     */
    public void delivered(GetRecordsResult read, String via) {
        if (!read.records().isEmpty()) {
            long bytes = 0;
            for (Record r : read.records()) {
                bytes += r.data().length;
            }
            outgoing(read.stream(), read.shardId(), via, read.records().size(), bytes);
        }
        if (!via.equals("websocket")) {
            iteratorAge(read.stream(), read.shardId(), read.millisBehindLatest());
        }
    }

    /** How far behind its shard's newest record a GetRecords call read (CloudWatch's iterator age). */
    public void iteratorAge(String stream, String shardId, long millisBehindLatest) {
        PerStream s = streams.get(stream);
        if (s == null) {
            return;
        }
        long[] age = s.ages.computeIfAbsent(shardId, id -> new long[2]);
        synchronized (age) {
            age[0] = millisBehindLatest;
            age[1] = System.nanoTime();
        }
    }

    /** Records refused for exceeding a shard's write rate. */
    public void writeThrottled(String stream, int records) {
        PerStream s = streams.get(stream);
        if (s != null) {
            s.writeThrottled.increment(records);
        }
    }

    /** A read refused for exceeding a shard's read rate. */
    public void readThrottled(String stream) {
        PerStream s = streams.get(stream);
        if (s != null) {
            s.readThrottled.increment();
        }
    }

    /** A request answered: {@code outcome} is {@code success} or the error type the client saw. */
    public void request(String api, String operation, String stream, String outcome, long nanos) {
        String label = streamLabel(stream);
        String timerKey = api + '\n' + operation + '\n' + label;
        requestTimers.computeIfAbsent(timerKey, k -> Timer.builder("eddy.request.duration")
                        .description("Time to answer a request")
                        .tags("api", api, "operation", operation, "stream", label)
                        .serviceLevelObjectives(LATENCY_BUCKETS)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        requestCounters.computeIfAbsent(timerKey + '\n' + outcome, k -> Counter.builder("eddy.requests")
                        .description("Requests answered, by outcome (success or the error type)")
                        .tags("api", api, "operation", operation, "stream", label, "outcome", outcome)
                        .register(registry))
                .increment();
    }

    /** One durable append of a batch, from submission to acknowledgement. */
    public void storageAppend(long nanos) {
        storageAppend.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Part of a request's time at the edge: {@code decode} (the body to a request tree) or {@code encode} (the
     * answer to bytes, handed to the connection). The rest of the request's duration is the platform and the store.
     */
    public void requestPhase(String api, String phase, long nanos) {
        requestPhases.computeIfAbsent(api + '\n' + phase, k -> Timer.builder("eddy.request.phase")
                        .description("Where a request's time goes at the edge: decoding the body, encoding the answer")
                        .tags("api", api, "phase", phase)
                        .serviceLevelObjectives(PHASE_BUCKETS)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One storage commit that acknowledged {@code appends} appends. */
    public void storageCommit(int appends) {
        commitAppends.record(appends);
    }

    /** Where writes' time goes inside the store, for {@link dev.eddy.eventstore.spi.EventStore#observeWrites}. */
    public WriteObserver storagePhases() {
        return new WriteObserver() {
            @Override
            public void committed(int writes, long queuedNanos, long applyNanos, long syncNanos) {
                phaseQueue.record(queuedNanos, TimeUnit.NANOSECONDS);
                phaseApply.record(applyNanos, TimeUnit.NANOSECONDS);
                phaseSync.record(syncNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void answered(long handbackNanos) {
                phaseHandback.record(handbackNanos, TimeUnit.NANOSECONDS);
            }
        };
    }

    /**
     * The open subscriptions of a stream under a group ({@code ""}: without one): a subscription adds how far
     * behind it is (read at scrape time, must not block) while open and removes it when it closes.
     */
    public Set<LongSupplier> subscriptions(String stream, String group) {
        String label = streamLabel(stream);
        String g = group == null ? "" : group;
        return subscriptions.computeIfAbsent(label + '\n' + g, k -> {
            Set<LongSupplier> open = ConcurrentHashMap.newKeySet();
            Tags tags = Tags.of("stream", label, "group", g);
            subscriptionMeters.put(k, List.of(
                    Gauge.builder("eddy.subscriptions.open", open, Set::size)
                            .description("Open WebSocket subscriptions")
                            .tags(tags).register(registry),
                    Gauge.builder("eddy.subscription.behind.latest", open, StreamMetrics::maxBehindSeconds)
                            .description("How far the furthest-behind open subscription is behind its shards' newest records")
                            .baseUnit("seconds")
                            .tags(tags).register(registry)));
            return open;
        });
    }

    private static double maxBehindSeconds(Set<LongSupplier> open) {
        long max = 0;
        for (LongSupplier behind : open) {
            max = Math.max(max, behind.getAsLong());
        }
        return max / 1000.0;
    }

    /** The backend label of the storage metrics. */
    public String backend() {
        return backend;
    }

    // ---- meters of one stream --------------------------------------------------------------------

    private final class PerStream {
        final List<Meter> meters = new ArrayList<>();
        final boolean shardLevel;
        final ConcurrentMap<String, PerShard> shards = new ConcurrentHashMap<>();
        final ConcurrentMap<String, List<Meter>> shardMeters = new ConcurrentHashMap<>();
        final ConcurrentMap<String, long[]> ages = new ConcurrentHashMap<>();
        final String stream;
        final Counter incomingRecords;
        final Counter incomingBytes;
        final Counter getRecordsRecords;
        final Counter getRecordsBytes;
        final Counter websocketRecords;
        final Counter websocketBytes;
        final Counter fanOutRecords;
        final Counter fanOutBytes;
        final Counter writeThrottled;
        final Counter readThrottled;

        PerStream(String stream, LongSupplier storedRecords, LongSupplier storedBytes) {
            this.stream = stream;
            this.shardLevel = StreamMetrics.this.shardLevel.test(stream);
            incomingRecords = counter("eddy.incoming.records", "Records acknowledged", Tags.empty());
            incomingBytes = counter("eddy.incoming.bytes", "Data bytes of acknowledged records", Tags.empty());
            getRecordsRecords = counter("eddy.outgoing.records", "Records handed to readers",
                    Tags.of("via", "get_records"));
            getRecordsBytes = counter("eddy.outgoing.bytes", "Data bytes handed to readers",
                    Tags.of("via", "get_records"));
            websocketRecords = counter("eddy.outgoing.records", "Records handed to readers",
                    Tags.of("via", "websocket"));
            websocketBytes = counter("eddy.outgoing.bytes", "Data bytes handed to readers",
                    Tags.of("via", "websocket"));
            fanOutRecords = counter("eddy.outgoing.records", "Records handed to readers", Tags.of("via", "fan_out"));
            fanOutBytes = counter("eddy.outgoing.bytes", "Data bytes handed to readers", Tags.of("via", "fan_out"));
            writeThrottled = counter("eddy.write.throttled", "Records refused for exceeding a shard's write rate",
                    Tags.empty());
            readThrottled = counter("eddy.read.throttled", "Reads refused for exceeding a shard's read rate",
                    Tags.empty());
            meters.add(Gauge.builder("eddy.get.records.iterator.age", this, PerStream::maxAgeSeconds)
                    .description("How far behind the newest record the latest GetRecords of each shard read (max)")
                    .baseUnit("seconds")
                    .tags("stream", stream).register(registry));
            meters.add(Gauge.builder("eddy.stream.stored.records", storedRecords::getAsLong)
                    .description("Records currently stored")
                    .tags("stream", stream).register(registry));
            meters.add(Gauge.builder("eddy.stream.stored", storedBytes::getAsLong)
                    .description("Data bytes of the records currently stored")
                    .baseUnit("bytes")
                    .tags("stream", stream).register(registry));
        }

        private Counter counter(String name, String description, Tags tags) {
            Counter c = Counter.builder(name).description(description).tags(tags.and("stream", stream))
                    .register(registry);
            meters.add(c);
            return c;
        }

        double maxAgeSeconds() {
            return maxAge(null);
        }

        double maxAge(String onlyShard) {
            long now = System.nanoTime();
            long max = -1;
            for (var e : ages.entrySet()) {
                if (onlyShard != null && !onlyShard.equals(e.getKey())) {
                    continue;
                }
                long[] age = e.getValue();
                synchronized (age) {
                    if (now - age[1] <= AGE_WINDOW_NANOS) {
                        max = Math.max(max, age[0]);
                    }
                }
            }
            return max < 0 ? 0 : max / 1000.0;
        }

        PerShard shard(String shardId) {
            return shards.computeIfAbsent(shardId, id -> {
                List<Meter> list = new ArrayList<>();
                PerShard p = new PerShard(id, list);
                shardMeters.put(id, list);
                return p;
            });
        }

        private final class PerShard {
            final Counter incomingRecords;
            final Counter incomingBytes;
            final Counter outgoingRecords;

            PerShard(String shardId, List<Meter> list) {
                Tags tags = Tags.of("stream", stream, "shard", shardId);
                incomingRecords = Counter.builder("eddy.shard.incoming.records").description("Records acknowledged by the shard")
                        .tags(tags).register(registry);
                incomingBytes = Counter.builder("eddy.shard.incoming.bytes").description("Data bytes acknowledged by the shard")
                        .tags(tags).register(registry);
                outgoingRecords = Counter.builder("eddy.shard.outgoing.records").description("Records the shard handed to readers")
                        .tags(tags).register(registry);
                list.add(incomingRecords);
                list.add(incomingBytes);
                list.add(outgoingRecords);
                list.add(Gauge.builder("eddy.shard.iterator.age", PerStream.this, s -> s.maxAge(shardId))
                        .description("How far behind the shard's newest record its latest GetRecords read")
                        .baseUnit("seconds")
                        .tags(tags).register(registry));
            }
        }
    }

    /** Which streams have shard-level monitoring: {@code *} for all, or a comma-separated list of names. */
    public static Predicate<String> shardLevelFor(String setting) {
        if (setting == null || setting.isBlank()) {
            return s -> false;
        }
        if (setting.trim().equals("*")) {
            return s -> true;
        }
        Set<String> names = Set.of(setting.trim().split("\\s*,\\s*"));
        return names::contains;
    }
}
