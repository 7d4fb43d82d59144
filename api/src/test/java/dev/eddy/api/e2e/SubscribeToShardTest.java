package dev.eddy.api.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SubscribeToShard with the AWS SDK v2's async client (Netty, HTTP/2 cleartext with prior knowledge), in CBOR
 * and JSON: records pushed from a starting position and then live, in order, with continuation numbers that
 * resume exactly; the last event of a closed shard; one subscription per consumer and shard (a second within 5 s
 * refused, a later one takes over); two consumers independent of each other; Kinesis's errors for bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscribeToShardTest extends AbstractSdkTest {

    private KinesisAsyncClient cbor;
    private KinesisAsyncClient json;

    @BeforeAll
    void startAsyncClients() {
        cbor = SdkClients.asyncFanOut(eddy.endpoint(), true);
        json = SdkClients.asyncFanOut(eddy.endpoint(), false);
    }

    @AfterAll
    void stopAsyncClients() {
        cbor.close();
        json.close();
    }

    /** What one subscription received. */
    static final class Received {
        final List<SubscribeToShardEvent> events = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile boolean responded;
        volatile boolean completed;
        CompletableFuture<Void> call;

        List<Record> records() {
            List<Record> out = new ArrayList<>();
            events.forEach(e -> out.addAll(e.records()));
            return out;
        }

        String lastContinuation() {
            return events.get(events.size() - 1).continuationSequenceNumber();
        }
    }

    private static Received subscribe(KinesisAsyncClient client, String consumerArn, String shardId,
                                      StartingPosition position) {
        Received r = new Received();
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onResponse(response -> r.responded = true)
                .onError(r.error::set)
                .onComplete(() -> r.completed = true)
                .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                        .onSubscribeToShardEvent(r.events::add).build())
                .build();
        r.call = client.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(shardId)
                .startingPosition(position).build(), handler);
        return r;
    }

    private static StartingPosition at(ShardIteratorType type) {
        return StartingPosition.builder().type(type).build();
    }

    private static StartingPosition after(String sequenceNumber) {
        return StartingPosition.builder().type(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                .sequenceNumber(sequenceNumber).build();
    }

    private static void eventually(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private String streamArn(String stream) {
        return client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamARN();
    }

    /** Registers a consumer and waits until it is ACTIVE; returns its ARN. */
    private String activeConsumer(String stream, String name) throws InterruptedException {
        String arn = client.registerStreamConsumer(b -> b.streamARN(streamArn(stream)).consumerName(name))
                .consumer().consumerARN();
        eventually(name + " ACTIVE", () -> client.describeStreamConsumer(b -> b.consumerARN(arn))
                .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        return arn;
    }

    private void put(String stream, int from, int to) {
        for (int first = from; first < to; first += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = first; i < Math.min(to, first + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + (i % 7))
                        .data(SdkBytes.fromUtf8String("r" + i)).build());
            }
            assertEquals(0, client.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount());
        }
    }

    private static List<String> texts(List<Record> records) {
        return records.stream().map(r -> r.data().asUtf8String()).toList();
    }

    private static List<String> range(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("r" + i);
        }
        return out;
    }

    private static Throwable failure(CompletableFuture<Void> call) {
        try {
            call.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the call succeeded");
    }

    @ParameterizedTest(name = "cbor={0}")
    @ValueSource(booleans = {true, false})
    void recordsArePushedInOrderThenLiveAndAContinuationResumesExactly(boolean useCbor) throws Exception {
        KinesisAsyncClient async = useCbor ? cbor : json;
        String stream = "push-" + useCbor;
        Shards.createStream(client, stream, 1);
        put(stream, 0, 1200);
        String consumer = activeConsumer(stream, "reader");
        Received first = subscribe(async, consumer, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        eventually("the backlog", () -> first.records().size() >= 1200);
        put(stream, 1200, 1300);
        eventually("the live records", () -> first.records().size() >= 1300);
        assertEquals(range(0, 1300), texts(first.records()), "every record once, in order");
        for (SubscribeToShardEvent e : first.events) {
            assertNotNull(e.continuationSequenceNumber(), "an open shard's events always carry a continuation");
            assertNotNull(e.millisBehindLatest());
            if (!e.records().isEmpty()) {
                assertEquals(e.records().get(e.records().size() - 1).sequenceNumber(), e.continuationSequenceNumber());
            }
        }
        Record r0 = first.records().get(0);
        assertEquals("k0", r0.partitionKey());
        assertTrue(r0.approximateArrivalTimestamp().isAfter(Instant.now().minusSeconds(120)));
        assertNull(first.error.get());

        // The client goes away; a new subscription after the continuation number misses and repeats nothing.
        first.call.cancel(true);
        String continuation = first.lastContinuation();
        put(stream, 1300, 1400);
        Received second = subscribeWhenFree(async, consumer, "shardId-000000000000", after(continuation));
        eventually("the records after the continuation", () -> second.records().size() >= 100);
        Thread.sleep(200);
        assertEquals(range(1300, 1400), texts(second.records()));
        second.call.cancel(true);
    }

    /** Subscribes, retrying while the previous subscription of the consumer is still being torn down. */
    private Received subscribeWhenFree(KinesisAsyncClient async, String consumer, String shardId,
                                       StartingPosition position) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Received r = subscribe(async, consumer, shardId, position);
            Thread.sleep(100);
            if (!(r.call.isCompletedExceptionally() && failure(r.call) instanceof ResourceInUseException)) {
                return r;
            }
            assertTrue(System.nanoTime() < deadline, "the previous subscription never ended");
        }
    }

    @Test
    void anIdleSubscriptionOfAnEmptyShardSendsHeartbeatsWhoseContinuationMissesNothing() throws Exception {
        Shards.createStream(client, "empty", 1);
        String consumer = activeConsumer("empty", "idle");
        Received idle = subscribe(json, consumer, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        eventually("a heartbeat event", () -> !idle.events.isEmpty());
        SubscribeToShardEvent beat = idle.events.get(0);
        assertTrue(beat.records().isEmpty());
        String before = beat.continuationSequenceNumber();
        assertNotNull(before, "even before the shard's first record there is a number to continue after");
        String first = client.listShards(b -> b.streamName("empty")).shards().get(0).sequenceNumberRange()
                .startingSequenceNumber();
        assertTrue(new java.math.BigInteger(before).compareTo(new java.math.BigInteger(first)) < 0,
                "below the shard's starting sequence number");
        idle.call.cancel(true);

        put("empty", 0, 5);
        // GetShardIterator and SubscribeToShard both read after it from the shard's first record.
        String iterator = client.getShardIterator(b -> b.streamName("empty").shardId("shardId-000000000000")
                .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(before))
                .shardIterator();
        assertEquals(range(0, 5), texts(client.getRecords(b -> b.shardIterator(iterator)).records()));
        Received resumed = subscribeWhenFree(cbor, consumer, "shardId-000000000000", after(before));
        eventually("the records", () -> resumed.records().size() >= 5);
        assertEquals(range(0, 5), texts(resumed.records()));
        resumed.call.cancel(true);
    }

    @Test
    void aSecondSubscriptionWithinFiveSecondsIsRefusedALaterOneTakesOver() throws Exception {
        Shards.createStream(client, "takeover", 1);
        String consumer = activeConsumer("takeover", "single");
        Received a = subscribe(cbor, consumer, "shardId-000000000000", at(ShardIteratorType.LATEST));
        eventually("the initial response", () -> a.responded);
        put("takeover", 0, 10);
        eventually("the first subscription's records", () -> a.records().size() == 10);

        Received refused = subscribe(json, consumer, "shardId-000000000000", at(ShardIteratorType.LATEST));
        assertInstanceOf(ResourceInUseException.class, failure(refused.call));
        assertTrue(refused.events.isEmpty());

        Thread.sleep(5_100);
        Received b = subscribe(cbor, consumer, "shardId-000000000000", after(a.lastContinuation()));
        eventually("the first subscription ended", () -> a.error.get() != null);
        eventually("the second's initial response", () -> b.responded);
        Throwable replaced = a.error.get() instanceof CompletionException c ? c.getCause() : a.error.get();
        assertInstanceOf(ResourceInUseException.class, replaced, String.valueOf(a.error.get()));
        put("takeover", 10, 20);
        eventually("the second subscription's records", () -> b.records().size() == 10);
        assertEquals(range(10, 20), texts(b.records()));
        assertEquals(10, a.records().size(), "nothing more went to the replaced subscription");
        b.call.cancel(true);
    }

    @Test
    void aClosedShardEndsWithItsChildrenAndNoContinuation() throws Exception {
        Shards.createStream(client, "closing", 1);
        put("closing", 0, 30);
        client.splitShard(b -> b.streamName("closing").shardToSplit("shardId-000000000000")
                .newStartingHashKey("170141183460469231731687303715884105728"));
        String consumer = activeConsumer("closing", "kcl-like");
        Received r = subscribe(cbor, consumer, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        r.call.get(30, TimeUnit.SECONDS);
        assertTrue(r.completed);
        assertEquals(range(0, 30), texts(r.records()));
        SubscribeToShardEvent last = r.events.get(r.events.size() - 1);
        assertNull(last.continuationSequenceNumber(), "the end of a closed shard");
        assertEquals(List.of("shardId-000000000001", "shardId-000000000002"),
                last.childShards().stream().map(c -> c.shardId()).toList());
        assertEquals(List.of("shardId-000000000000"), last.childShards().get(0).parentShards());
        for (int i = 0; i < r.events.size() - 1; i++) {
            assertNotNull(r.events.get(i).continuationSequenceNumber());
        }
    }

    @Test
    void twoConsumersEachGetEverythingAndAStalledOneHoldsBackNobody() throws Exception {
        Shards.createStream(client, "shared", 1);
        String fast = activeConsumer("shared", "fast");
        String stalled = activeConsumer("shared", "stalled");
        Received reader = subscribe(cbor, fast, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        // The stalled consumer takes one event and never asks for more: HTTP/2 flow control stops its stream.
        List<SubscribeToShardEventStream> stalledGot = new CopyOnWriteArrayList<>();
        SubscribeToShardResponseHandler stuck = SubscribeToShardResponseHandler.builder()
                .onEventStream(publisher -> publisher.subscribe(new Subscriber<>() {
                    @Override
                    public void onSubscribe(Subscription s) {
                        s.request(1);
                    }

                    @Override
                    public void onNext(SubscribeToShardEventStream event) {
                        stalledGot.add(event);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onComplete() {
                    }
                }))
                .build();
        // Another application: its own client, so its own HTTP/2 connection (one connection's window is shared by
        // its streams, and a stream its application never reads would hold up the others on the client's side).
        KinesisAsyncClient other = SdkClients.asyncFanOut(eddy.endpoint(), true);
        CompletableFuture<Void> stalledCall = other.subscribeToShard(b -> b.consumerARN(stalled)
                .shardId("shardId-000000000000").startingPosition(at(ShardIteratorType.TRIM_HORIZON)), stuck);
        // 10 MB: far more than the stalled stream's HTTP/2 window and the server's send queue.
        byte[] kib = new byte[1024];
        for (int batch = 0; batch < 20; batch++) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("p" + i).data(SdkBytes.fromByteArray(kib))
                        .build());
            }
            assertEquals(0, client.putRecords(b -> b.streamName("shared").records(entries)).failedRecordCount());
        }
        eventually("the fast consumer's 10,000 records", () -> reader.records().size() >= 10_000);
        assertEquals(10_000, reader.records().size());
        assertTrue(stalledGot.size() <= 2, "the stalled consumer got only what it asked for: " + stalledGot.size());
        assertFalse(stalledCall.isDone());
        stalledCall.cancel(true);
        other.close();
        reader.call.cancel(true);
    }

    @Test
    void aSubscriptionIsHeldTo2MiBPerSecond() throws Exception {
        Shards.createStream(client, "paced", 1);
        byte[] kib = new byte[1024];
        for (int batch = 0; batch < 16; batch++) { // 8 MiB of data
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("p" + i).data(SdkBytes.fromByteArray(kib))
                        .build());
            }
            assertEquals(0, client.putRecords(b -> b.streamName("paced").records(entries)).failedRecordCount());
        }
        String consumer = activeConsumer("paced", "paced-reader");
        long started = System.nanoTime();
        Received r = subscribe(cbor, consumer, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        eventually("the 8 MiB backlog", () -> r.records().size() >= 8_000);
        double seconds = (System.nanoTime() - started) / 1e9;
        // One second's budget may go at once, the other 6 MiB at 2 MiB/s: never faster than 3 s (a lower bound,
        // which a slow machine only makes longer).
        assertTrue(seconds >= 2.9, "8 MiB arrived in " + seconds + " s: faster than 2 MiB/s");
        r.call.cancel(true);
    }

    @Test
    void badInputGetsKinesisErrorsAndChangesNothing() throws Exception {
        Shards.createStream(client, "errors", 2);
        String consumer = activeConsumer("errors", "e");
        String unknown = consumer.replace("/consumer/e:", "/consumer/nobody:");
        assertInstanceOf(ResourceNotFoundException.class,
                failure(subscribe(cbor, unknown, "shardId-000000000000", at(ShardIteratorType.LATEST)).call));
        assertInstanceOf(ValidationException.class,
                failure(subscribe(json, "arn:aws:kinesis:us-east-1:000000000000:stream/errors", "shardId-000000000000",
                        at(ShardIteratorType.LATEST)).call), "not a consumer ARN");
        assertInstanceOf(ResourceNotFoundException.class,
                failure(subscribe(cbor, consumer, "shardId-000000000007", at(ShardIteratorType.LATEST)).call));
        assertInstanceOf(InvalidArgumentException.class,
                failure(subscribe(cbor, consumer, "shardId-000000000000",
                        StartingPosition.builder().type(ShardIteratorType.AT_TIMESTAMP).build()).call));
        assertInstanceOf(InvalidArgumentException.class,
                failure(subscribe(cbor, consumer, "shardId-000000000000",
                        StartingPosition.builder().type(ShardIteratorType.AT_SEQUENCE_NUMBER).build()).call));
        put("errors", 0, 20);
        String otherShards = client.listShards(b -> b.streamName("errors")).shards().get(1).sequenceNumberRange()
                .startingSequenceNumber();
        assertInstanceOf(InvalidArgumentException.class,
                failure(subscribe(json, consumer, "shardId-000000000000", after(otherShards)).call),
                "a sequence number of another shard");
        // None of the refusals took the consumer's place: a good subscription starts at once.
        Received ok = subscribe(cbor, consumer, "shardId-000000000000", at(ShardIteratorType.TRIM_HORIZON));
        eventually("records", () -> !ok.records().isEmpty());
        assertNull(ok.error.get());
        ok.call.cancel(true);
    }

    @Test
    void aConsumerThatIsNotActiveYetIsRefused() throws Exception {
        EddyFixture slow = EddyFixture.start(c -> c.withStreamDelays(java.time.Duration.ofSeconds(3),
                java.time.Duration.ZERO));
        try (var sync = SdkClients.syncCbor(slow.endpoint());
             KinesisAsyncClient async = SdkClients.asyncFanOut(slow.endpoint(), true)) {
            sync.createStream(b -> b.streamName("slow").shardCount(1));
            eventually("the stream ACTIVE", () -> sync.describeStreamSummary(b -> b.streamName("slow"))
                    .streamDescriptionSummary().streamStatusAsString().equals("ACTIVE"));
            String streamArn = sync.describeStreamSummary(b -> b.streamName("slow")).streamDescriptionSummary()
                    .streamARN();
            String arn = sync.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("early")).consumer()
                    .consumerARN();
            Throwable refused = failure(subscribe(async, arn, "shardId-000000000000",
                    at(ShardIteratorType.LATEST)).call);
            assertInstanceOf(ResourceInUseException.class, refused);
        } finally {
            slow.close();
        }
    }
}
