package dev.eddy.api.ws;

import dev.eddy.platform.ErrorCode;
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
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * One WebSocket subscription: a thin adapter over a platform {@link Feed} (the whole stream, or for a
 * consumer-group member the shards the group assigns it): the feed's records go out as {@code event} frames,
 * its shards as the {@code shards} frame; a full socket pauses the feed and a drained one resumes it; credit
 * ({@code {"request": n}}) is the feed's demand; plus heartbeats, checkpoints, the group's liveness pings and
 * the close codes. Confined to the socket's event loop.
 */
final class Subscription implements FeedHandler {

    static final long HEARTBEAT_MILLIS = 2000;
    /** Bytes the socket may queue before the feed pauses (besides at most one page per shard). */
    static final int WRITE_QUEUE_BYTES = 1024 * 1024;

    private final Vertx vertx;
    private final Context context;
    private final Thread loop;
    private final Streams streams;
    private final Clock clock;
    private final ServerWebSocket ws;
    private FrameChannel channel;
    private final EventFrames frames;
    private final StreamMetrics metrics;
    /** This subscription's lag for the metrics: the largest of its shards', updated on the loop. */
    private volatile long behindMillis;
    private final LongSupplier lag = () -> behindMillis;
    private Set<LongSupplier> openSubscriptions;
    private final SubscribeParams params;
    private Feed feed;
    private long lastHeardNanos = System.nanoTime();
    private long heartbeatTimer = -1;
    private long pingTimer = -1;
    private boolean closed;
    private boolean drainPending;
    private boolean creditMode;
    /** Credit given before the feed opened: its first demand. */
    private long credit;

    private Subscription(Vertx vertx, Streams streams, Clock clock, EventFrames frames, StreamMetrics metrics,
                         ServerWebSocket ws, SubscribeParams params) {
        this.frames = frames;
        this.metrics = metrics;
        this.vertx = vertx;
        this.clock = clock;
        this.context = vertx.getOrCreateContext();
        this.loop = Thread.currentThread();
        this.streams = streams;
        this.ws = ws;
        this.params = params;
        if (params.credit() >= 0) {
            creditMode = true;
            credit = params.credit();
        }
    }

    /** Starts streaming on an accepted socket. */
    static void start(Vertx vertx, Streams streams, Clock clock, EventFrames frames, StreamMetrics metrics,
                      ServerWebSocket ws, SubscribeParams params) {
        new Subscription(vertx, streams, clock, frames, metrics, ws, params).open();
    }

    private void open() {
        ws.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
        try {
            channel = FrameChannel.install(ws, this::resumeWriting);
        } catch (RuntimeException e) {
            closed = true;
            ws.close(CloseCodes.INTERNAL, CloseCodes.reason("Internal failure: " + e.getMessage()));
            return;
        }
        ws.closeHandler(v -> stop());
        ws.exceptionHandler(err -> stop());
        ws.textMessageHandler(this::onMessage);
        ws.binaryMessageHandler(b -> sendError("InvalidMessage", "Binary messages are not understood; send JSON text."));
        if (params.group() != null) {
            ws.pongHandler(pong -> lastHeardNanos = System.nanoTime());
        }
        FeedRequest request = new FeedRequest(params.stream(), null, feedStart(params.start()), params.group(),
                params.key() == null && params.keyPrefix() == null ? null : params::matches);
        streams.feeds().open(request, this).onComplete(ar -> onLoop(() -> {
            if (ar.failed()) {
                refuse(ar.cause());
                return;
            }
            if (closed) {
                ar.result().close();
                return;
            }
            feed = ar.result();
            if (params.group() != null) {
                lastHeardNanos = System.nanoTime();
                pingTimer = vertx.setPeriodic(Math.max(250, params.sessionTimeoutMillis() / 4), id -> ping());
            }
            openSubscriptions = metrics.subscriptions(params.stream(), params.group());
            openSubscriptions.add(lag);
            heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, id -> heartbeat());
            if (!creditMode) {
                feed.request(Feed.UNBOUNDED);
            } else if (credit > 0) {
                feed.request(credit);
            }
        }));
    }

    private static FeedStart feedStart(StartPosition from) {
        return switch (from.kind()) {
            case TRIM_HORIZON -> FeedStart.trimHorizon();
            case LATEST -> FeedStart.latest();
            case TIMESTAMP -> FeedStart.atTimestamp(from.timestampMillis());
            case SEQUENCE_NUMBER -> FeedStart.atSequenceNumber(from.sequenceNumber());
        };
    }

    // ---- the feed (on the loop) ------------------------------------------------------------------

    /** The {@code shards} frame goes out before any event of a shard it names. */
    @Override
    public void shards(FeedShards shards) {
        if (!closed) {
            sendText(shards.assignment() != null ? Frames.groupShards(shards.assignment())
                    : Frames.shards(shards.stream(), shards.shardIds()));
        }
    }

    @Override
    public void records(FeedBatch batch) {
        if (closed) {
            return;
        }
        long bytes = 0;
        for (Record r : batch.records()) {
            channel.write(frames.frame(batch.stream(), batch.shardId(), r));
            bytes += r.data().length;
        }
        channel.flushPaced();
        metrics.outgoing(params.stream(), batch.shardId(), "websocket", batch.records().size(), bytes);
        if (!mayWrite()) {
            feed.pause();
        }
    }

    @Override
    public void retrying(String shardId, PlatformException cause) {
        sendError("ServiceUnavailable", "Reading " + shardId + " failed, retrying: " + cause.getMessage());
    }

    @Override
    public void ended(FeedEnd end) {
        if (end.reason() == FeedEnd.Reason.STREAM_DELETED) {
            sendError("StreamDeleted", "Stream " + params.stream() + " was deleted.");
            close(CloseCodes.STREAM_DELETED, "Stream " + params.stream() + " was deleted");
        } else {
            sendError("InternalFailure", "Reading " + end.shardId() + " failed: " + end.cause().getMessage());
            close(CloseCodes.INTERNAL, "Internal failure reading " + end.shardId());
        }
    }

    private void checkpoint(JsonObject message) {
        Object body = message.getValue("checkpoint");
        if (!(body instanceof JsonObject c) || !(c.getValue("shardId") instanceof String shardId)
                || !(c.getValue("sequenceNumber") instanceof String sequenceNumber)) {
            sendError("InvalidMessage", "Expected {\"checkpoint\": {\"shardId\": \"...\", \"sequenceNumber\": \"...\"}}");
            return;
        }
        if (params.group() == null) {
            sendError("NoGroup", "Checkpoints are kept per consumer group: subscribe with group=<name> to checkpoint.");
            return;
        }
        if (feed == null) {
            sendError("NotAssigned", "Shard " + shardId + " is not assigned to this member yet.");
            return;
        }
        feed.checkpoint(shardId, sequenceNumber).onComplete(ar -> onLoop(() -> {
            if (closed) {
                return;
            }
            if (ar.succeeded()) {
                sendText(Frames.checkpointed(shardId, sequenceNumber));
                return;
            }
            ErrorCode code = ar.cause() instanceof PlatformException p ? p.code() : ErrorCode.INTERNAL_FAILURE;
            String name = switch (code) {
                case INVALID_ARGUMENT -> "InvalidCheckpoint";
                case RESOURCE_IN_USE -> "NotAssigned";
                case RESOURCE_NOT_FOUND -> "StreamDeleted";
                case SERVICE_UNAVAILABLE -> "ServiceUnavailable";
                default -> "InternalFailure";
            };
            sendError(name, "Checkpoint " + sequenceNumber + " of " + shardId + " not stored: "
                    + ar.cause().getMessage());
        }));
    }

    private void refuse(Throwable err) {
        if (err instanceof PlatformException p && p.code() == ErrorCode.RESOURCE_NOT_FOUND) {
            close(CloseCodes.UNKNOWN_STREAM, "Stream " + params.stream() + " not found");
        } else if (err instanceof PlatformException p && p.code() == ErrorCode.INVALID_ARGUMENT) {
            close(CloseCodes.BAD_PARAMETER, params.start().kind() == StartPosition.Kind.SEQUENCE_NUMBER
                    && params.group() == null ? "Invalid from=" + params.start().sequenceNumber()
                    + ": not a sequence number of an open shard of " + params.stream() : p.getMessage());
        } else {
            sendError("InternalFailure", String.valueOf(err.getMessage()));
            close(CloseCodes.INTERNAL, "Internal failure");
        }
    }

    // ---- the socket ------------------------------------------------------------------------------

    /** Whether the socket can take more; if not, the feed resumes once it drains. */
    private boolean mayWrite() {
        if (channel.writable() && !ws.writeQueueFull()) {
            return true;
        }
        if (!drainPending) {
            drainPending = true;
            ws.drainHandler(v -> resumeWriting());
        }
        return false;
    }

    /** The socket drained (Vert.x's queue or the channel's buffer): the feed goes on. */
    private void resumeWriting() {
        if (drainPending) {
            drainPending = false;
            if (feed != null && !closed) {
                feed.resume();
            }
        }
    }

    /** Sends a message of this subscription alone (heap bytes: only shared frames need direct memory). */
    private void sendText(String message) {
        channel.write(Unpooled.wrappedBuffer(WireFrames.bytes(message)));
        channel.flush();
    }

    void sendError(String code, String message) {
        if (!closed) {
            sendText(Frames.error(code, message));
        }
    }

    /** Runs {@code task} on the socket's event loop: now if already there. */
    private void onLoop(Runnable task) {
        if (Thread.currentThread() == loop) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    // ---- timers, client messages -----------------------------------------------------------------

    private void heartbeat() {
        if (closed || !channel.writable() || ws.writeQueueFull()) {
            return;
        }
        Map<String, Long> behind = feed.millisBehindLatest();
        long max = 0;
        for (long b : behind.values()) {
            max = Math.max(max, b);
        }
        behindMillis = max;
        sendText(Frames.heartbeat(behind, clock.millis()));
    }

    /**
     * A group member's liveness: pinged four times per session timeout; one that answered no ping and sent
     * nothing for longer (dead peer, stuck client) is dropped so its shards move to the other members.
     */
    private void ping() {
        if (closed) {
            return;
        }
        long silentMillis = (System.nanoTime() - lastHeardNanos) / 1_000_000;
        if (silentMillis > params.sessionTimeoutMillis()) {
            sendError("SessionTimeout", "No pong or message for " + silentMillis + " ms (sessionTimeoutMs="
                    + params.sessionTimeoutMillis() + "); the group's shards moved to its other members.");
            close(CloseCodes.SESSION_TIMEOUT, "Session timed out");
            return;
        }
        ws.writePing(Buffer.buffer("eddy"));
    }

    private void onMessage(String text) {
        lastHeardNanos = System.nanoTime();
        JsonObject message;
        try {
            message = new JsonObject(text);
        } catch (RuntimeException e) {
            sendError("InvalidMessage", "Not a JSON object: " + abbreviate(text));
            return;
        }
        if (message.containsKey("request")) {
            Object n = message.getValue("request");
            if (!(n instanceof Integer || n instanceof Long) || ((Number) n).longValue() < 1) {
                sendError("InvalidMessage", "\"request\" must be a positive integer, got " + abbreviate(String.valueOf(n)));
                return;
            }
            long more = ((Number) n).longValue();
            if (feed == null) {
                // Not open yet: the feed starts with this demand.
                creditMode = true;
                credit = credit > Long.MAX_VALUE - 1 - more ? Long.MAX_VALUE - 1 : credit + more;
                return;
            }
            if (!creditMode) {
                // From flowing to credit mode: only what the client asks for from now on.
                creditMode = true;
                feed.cancelDemand();
            }
            feed.request(more);
        } else if (message.containsKey("checkpoint")) {
            checkpoint(message);
        } else {
            sendError("InvalidMessage", "Unknown message " + abbreviate(text)
                    + ": expected {\"request\": n} or {\"checkpoint\": {...}}");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }

    private void close(short code, String reason) {
        if (closed) {
            return;
        }
        stop();
        ws.close(code, CloseCodes.reason(reason));
    }

    private void stop() {
        if (closed) {
            return;
        }
        closed = true;
        if (channel != null) {
            channel.release();
        }
        if (feed != null) {
            feed.close();
        }
        if (openSubscriptions != null) {
            openSubscriptions.remove(lag);
        }
        vertx.cancelTimer(heartbeatTimer);
        vertx.cancelTimer(pingTimer);
    }
}
