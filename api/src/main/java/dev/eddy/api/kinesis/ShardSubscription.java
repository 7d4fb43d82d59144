package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.eddy.platform.ChildShard;
import dev.eddy.platform.Feed;
import dev.eddy.platform.FeedBatch;
import dev.eddy.platform.FeedEnd;
import dev.eddy.platform.FeedHandler;
import dev.eddy.platform.FeedRequest;
import dev.eddy.platform.FeedShards;
import dev.eddy.platform.FeedStart;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One SubscribeToShard subscription: an HTTP response that pushes AWS event-stream messages for up to five minutes
 * (the {@code initial-response} event, then a {@code SubscribeToShardEvent} per batch of records read by a platform
 * {@link Feed} over the shard, payloads in the request's JSON or CBOR), and ends the way Kinesis ends one:
 * normally after five minutes, with a last event carrying {@code ChildShards} (and no continuation) at the end of a
 * closed shard, or with an exception event (another subscription took over, the stream was deleted).
 *
 * <p>Every event but the last of a closed shard carries {@code ContinuationSequenceNumber}, the number to resume
 * after (before the shard's first record, a number just below it), so a client that resubscribes with
 * AFTER_SEQUENCE_NUMBER loses and repeats nothing. While no record flows an empty event goes out every
 * {@link #HEARTBEAT_MILLIS} ms.
 *
 * <p>The feed is paused while the connection's send queue is full (HTTP/2 flow control: only this subscription
 * waits) and while the subscription is over its 2 MiB/s. Confined to the request's event loop.
 */
final class ShardSubscription extends EventStreamReply implements FeedHandler {

    static final long LIFETIME_MILLIS = 5 * 60_000L;
    static final long HEARTBEAT_MILLIS = 5_000L;
    /** Kinesis's read throughput per consumer and shard. */
    static final long BYTES_PER_SECOND = 2L << 20;

    private final Streams streams;
    private final StreamMetrics metrics;
    private final String stream;
    private final String shardId;
    private final FeedStart start;
    private final Runnable onEnd;
    private final long lifetimeMillis;

    private volatile Context context;
    private Vertx vertx;
    private HttpServerResponse response;
    private WireFormat format;
    private Feed feed;
    private boolean ended;
    private volatile boolean replacedEarly;
    private long lifetimeTimer = -1;
    private long heartbeatTimer = -1;
    private long rateTimer = -1;
    private long lastEventNanos;
    /** Bytes the subscription may still send now; refilled at {@link #BYTES_PER_SECOND} up to one second's worth. */
    private double tokens = BYTES_PER_SECOND;
    private long refilledNanos = System.nanoTime();
    private boolean pausedForRate;
    private boolean pausedForQueue;

    /**
     * @param onEnd run once when the subscription ends, however it ends (frees its place in the registry)
     */
    ShardSubscription(Streams streams, StreamMetrics metrics, String stream, String shardId, FeedStart start,
                      long lifetimeMillis, Runnable onEnd) {
        this.streams = streams;
        this.metrics = metrics;
        this.stream = stream;
        this.shardId = shardId;
        this.start = start;
        this.lifetimeMillis = lifetimeMillis;
        this.onEnd = onEnd;
    }

    @Override
    void start(HttpServerRequest request, String requestId, WireFormat wireFormat) {
        context = Vertx.currentContext();
        vertx = context.owner();
        format = wireFormat;
        response = request.response();
        response.closeHandler(v -> finish());
        response.exceptionHandler(e -> finish());
        // The feed is positioned before the answer starts: records appended once the initial response is out are
        // in the subscription (LATEST is the shard's end as of then), and a start that cannot be served is still a
        // plain error answer.
        streams.feeds().open(new FeedRequest(stream, List.of(shardId), start, null, null), this).onComplete(ar -> {
            if (ar.failed()) {
                refuse(requestId, KinesisErrors.toWire(ar.cause()));
                return;
            }
            if (ended) { // the client went away meanwhile
                ar.result().close();
                return;
            }
            if (replacedEarly) {
                ar.result().close();
                refuse(requestId, takenOver());
                return;
            }
            feed = ar.result();
            response.setStatusCode(200)
                    .putHeader("Content-Type", CONTENT_TYPE)
                    .putHeader(KinesisHttpHandler.REQUEST_ID, requestId);
            if (request.version() != HttpVersion.HTTP_2) {
                response.setChunked(true);
            }
            write(event("initial-response", payload(gen -> {
                gen.writeStartObject();
                gen.writeEndObject();
            })));
            lifetimeTimer = vertx.setTimer(lifetimeMillis, id -> {
                lifetimeTimer = -1;
                endNormally(); // the client subscribes again to go on, after its continuation number
            });
            heartbeatTimer = vertx.setPeriodic(1_000, id -> heartbeat());
            feed.request(Feed.UNBOUNDED);
            updatePause();
        });
    }

    /** Answers with an error instead of events (nothing was written yet) and frees the subscription's place. */
    private void refuse(String requestId, KinesisException e) {
        finish();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(e.status()).putHeader("Content-Type", format.contentType())
                .putHeader(KinesisHttpHandler.REQUEST_ID, requestId).putHeader("x-amzn-ErrorType", e.type())
                .end(Buffer.buffer(payload(gen -> {
                    gen.writeStartObject();
                    gen.writeStringField("__type", e.type());
                    gen.writeStringField("message", e.getMessage());
                    gen.writeEndObject();
                })));
    }

    // ---- the feed's calls (on this context) ----------------------------------------------------------

    @Override
    public void shards(FeedShards shards) {
    }

    @Override
    public void records(FeedBatch batch) {
        if (ended) {
            return;
        }
        List<Record> records = batch.records();
        // The number after the last record delivered (or skipped): the feed advanced past them before this call.
        String next = feed.resumeAfter(shardId);
        long bytes = 0;
        for (Record r : records) {
            bytes += r.data().length;
        }
        Buffer message = event("SubscribeToShardEvent", payload(gen -> {
            gen.writeStartObject();
            gen.writeFieldName("Records");
            gen.writeStartArray(records, records.size());
            for (Record r : records) {
                GetRecordsReply.writeRecord(gen, r);
            }
            gen.writeEndArray();
            gen.writeStringField("ContinuationSequenceNumber", next);
            gen.writeFieldName("MillisBehindLatest");
            gen.writeNumber(batch.millisBehindLatest());
            gen.writeEndObject();
        }));
        write(message);
        metrics.outgoing(stream, shardId, "fan_out", records.size(), bytes);
        spend(message.length());
    }

    @Override
    public void shardEnded(String endedShard, List<ChildShard> children) {
        if (ended) {
            return;
        }
        // The last event of a closed shard: no continuation, the children to go on with.
        write(event("SubscribeToShardEvent", payload(gen -> {
            gen.writeStartObject();
            gen.writeFieldName("Records");
            gen.writeStartArray();
            gen.writeEndArray();
            gen.writeFieldName("MillisBehindLatest");
            gen.writeNumber(0);
            gen.writeFieldName("ChildShards");
            gen.writeStartArray();
            for (ChildShard child : children) {
                gen.writeTree(Shapes.childShard(child));
            }
            gen.writeEndArray();
            gen.writeEndObject();
        })));
        endNormally();
    }

    @Override
    public void retrying(String retryingShard, PlatformException cause) {
        // Records are late, none lost: the feed reads again by itself.
    }

    @Override
    public void ended(FeedEnd end) {
        if (end.reason() == FeedEnd.Reason.STREAM_DELETED) {
            endWith(KinesisException.resourceNotFound("Stream " + stream + " was deleted."));
        } else {
            endWith(KinesisErrors.toWire(end.cause()));
        }
    }

    // ---- ending ----------------------------------------------------------------------------------------

    /** Another subscription for the same consumer and shard took over (called from any thread). */
    void replaced() {
        Context c = context;
        if (c == null) {
            replacedEarly = true;
            return;
        }
        c.runOnContext(v -> {
            if (feed == null) {
                replacedEarly = true; // not answering yet: it will refuse
            } else {
                endWith(takenOver());
            }
        });
    }

    private KinesisException takenOver() {
        return new KinesisException("ResourceInUseException", 400, "Another subscription to shard " + shardId
                + " of stream " + stream + " by this consumer took over.");
    }

    private void endWith(KinesisException e) {
        if (ended) {
            return;
        }
        write(exception(e));
        endNormally();
    }

    private void endNormally() {
        if (ended) {
            return;
        }
        if (!response.ended() && !response.closed()) {
            response.end();
        }
        finish();
    }

    /** Releases everything; idempotent. */
    private void finish() {
        if (ended) {
            return;
        }
        ended = true;
        if (feed != null) {
            feed.close();
        }
        for (long timer : new long[] {lifetimeTimer, heartbeatTimer, rateTimer}) {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
        onEnd.run();
    }

    // ---- pacing ------------------------------------------------------------------------------------------

    private void heartbeat() {
        if (ended || feed == null || System.nanoTime() - lastEventNanos < HEARTBEAT_MILLIS * 1_000_000) {
            return;
        }
        String continuation = feed.resumeAfter(shardId);
        if (continuation == null) {
            return; // not positioned yet
        }
        long behind = behind();
        write(event("SubscribeToShardEvent", payload(gen -> {
            gen.writeStartObject();
            gen.writeFieldName("Records");
            gen.writeStartArray();
            gen.writeEndArray();
            gen.writeStringField("ContinuationSequenceNumber", continuation);
            gen.writeFieldName("MillisBehindLatest");
            gen.writeNumber(behind);
            gen.writeEndObject();
        })));
    }

    private long behind() {
        Feed f = feed;
        Long behind = f == null ? null : f.millisBehindLatest().get(shardId);
        return behind == null ? 0 : behind;
    }

    /** Takes the bytes from the budget; past it, the feed waits until the budget is back above zero. */
    private void spend(int bytes) {
        long now = System.nanoTime();
        tokens = Math.min(BYTES_PER_SECOND, tokens + (now - refilledNanos) / 1e9 * BYTES_PER_SECOND) - bytes;
        refilledNanos = now;
        if (tokens < 0 && !pausedForRate) {
            pausedForRate = true;
            updatePause();
            long waitMillis = Math.max(1, (long) Math.ceil(-tokens * 1000 / BYTES_PER_SECOND));
            rateTimer = vertx.setTimer(waitMillis, id -> {
                rateTimer = -1;
                long t = System.nanoTime();
                tokens = Math.min(BYTES_PER_SECOND, tokens + (t - refilledNanos) / 1e9 * BYTES_PER_SECOND);
                refilledNanos = t;
                pausedForRate = false;
                updatePause();
            });
        }
    }

    private void write(Buffer message) {
        if (response.ended() || response.closed()) {
            return;
        }
        lastEventNanos = System.nanoTime();
        response.write(message);
        if (!pausedForQueue && response.writeQueueFull()) {
            pausedForQueue = true;
            updatePause();
            response.drainHandler(v -> {
                pausedForQueue = false;
                updatePause();
            });
        }
    }

    private void updatePause() {
        if (feed == null || ended) {
            return;
        }
        if (pausedForQueue || pausedForRate) {
            feed.pause();
        } else {
            feed.resume();
        }
    }

    // ---- messages ----------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator gen) throws IOException;
    }

    private byte[] payload(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator gen = format.mapper().createGenerator(out)) {
            body.write(gen);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private Buffer event(String type, byte[] payload) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":message-type", HeaderValue.fromString("event"));
        headers.put(":event-type", HeaderValue.fromString(type));
        headers.put(":content-type", HeaderValue.fromString(format.contentType()));
        return encode(new Message(headers, payload));
    }

    private Buffer exception(KinesisException e) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":message-type", HeaderValue.fromString("exception"));
        headers.put(":exception-type", HeaderValue.fromString(e.type()));
        headers.put(":content-type", HeaderValue.fromString(format.contentType()));
        return encode(new Message(headers, errorBody(e).getBytes()));
    }

    private Buffer errorBody(KinesisException e) {
        return Buffer.buffer(payload(gen -> {
            gen.writeStartObject();
            gen.writeStringField("message", e.getMessage());
            gen.writeEndObject();
        }));
    }

    private static Buffer encode(Message message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.getPayload().length + 128);
        message.encode(out);
        return Buffer.buffer(out.toByteArray());
    }
}
