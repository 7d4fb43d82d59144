package dev.eddy.api.ws;

import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GroupAssignment;
import dev.eddy.platform.GroupMember;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.Shard;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamDescription;
import dev.eddy.platform.StreamStatus;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * One WebSocket subscription: a {@link ShardReader} per open shard (or, for a consumer-group member, per
 * shard the group assigns it, changing with every rebalance), heartbeats, credit-based flow, checkpoints and
 * the close codes. Confined to the socket's event loop; only {@link #wake} is called from other threads.
 */
final class Subscription {

    static final long HEARTBEAT_MILLIS = 2000;
    /** Reads again even without a wake-up, so a lost wake-up costs at most this much latency. */
    static final long FALLBACK_MILLIS = 1000;
    /** Bytes the socket may queue before readers pause (besides at most one page per shard). */
    static final int WRITE_QUEUE_BYTES = 1024 * 1024;
    private static final long MAX_CREDIT = 1L << 40;

    private final Vertx vertx;
    private final Context context;
    private final Thread loop;
    private final Streams streams;
    private final Clock clock;
    private final ServerWebSocket ws;
    private FrameChannel channel;
    private final EventFrames frames;
    private final StreamMetrics metrics;
    /** This subscription's lag for the metrics: the largest of its readers', updated on the loop. */
    private volatile long behindMillis;
    private final LongSupplier lag = () -> behindMillis;
    private Set<LongSupplier> openSubscriptions;
    private final SubscribeParams params;
    private final Map<String, ShardReader> readers = new LinkedHashMap<>();
    private final Set<ShardReader> starved = new LinkedHashSet<>();
    /** The readers again, for the append listener (any thread). */
    private final ConcurrentMap<String, ShardReader> wakeable = new ConcurrentHashMap<>();
    private final ShardTails tails;
    private AppendWatch watch;
    private GroupMember member;
    private long generation = -1;
    private long lastHeardNanos = System.nanoTime();
    private long heartbeatTimer = -1;
    private long fallbackTimer = -1;
    private long pingTimer = -1;
    private boolean closed;
    private boolean drainPending;
    private boolean creditMode;
    private long credit;

    private Subscription(Vertx vertx, Streams streams, Clock clock, EventFrames frames, ShardTails tails,
                         StreamMetrics metrics, ServerWebSocket ws, SubscribeParams params) {
        this.frames = frames;
        this.tails = tails;
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
    static void start(Vertx vertx, Streams streams, Clock clock, EventFrames frames, ShardTails tails,
                      StreamMetrics metrics, ServerWebSocket ws, SubscribeParams params) {
        new Subscription(vertx, streams, clock, frames, tails, metrics, ws, params).open();
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
        watch = streams.onAppend(params.stream(), this::wake);
        if (params.group() != null) {
            joinGroup();
            return;
        }
        streams.describeStream(params.stream())
                .compose(this::startIterators)
                .onComplete(ar -> onLoop(() -> {
                    if (ar.failed()) {
                        refuse(ar.cause());
                        return;
                    }
                    if (closed) {
                        return;
                    }
                    for (ShardReader reader : ar.result()) {
                        readers.put(reader.shardId(), reader);
                        wakeable.put(reader.shardId(), reader);
                    }
                    sendText(Frames.shards(params.stream(), List.copyOf(readers.keySet())));
                    startTimers();
                    pumpAll();
                }));
    }

    private void startTimers() {
        openSubscriptions = metrics.subscriptions(params.stream(), params.group());
        openSubscriptions.add(lag);
        heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, id -> heartbeat());
        fallbackTimer = vertx.setPeriodic(FALLBACK_MILLIS, id -> pumpAll());
    }

    // ---- consumer groups -------------------------------------------------------------------------

    /** Joins the group; every assignment (the first one included) arrives through {@link #assign}. */
    private void joinGroup() {
        ws.pongHandler(pong -> lastHeardNanos = System.nanoTime());
        streams.describeStream(params.stream())
                .compose(description -> description.status() == StreamStatus.ACTIVE
                        || description.status() == StreamStatus.UPDATING ? Future.succeededFuture()
                        : Future.failedFuture(PlatformException.notFound("Stream " + description.name() + " is "
                                + description.status())))
                .compose(v -> streams.consumerGroups().join(params.stream(), params.group(),
                        assignment -> later(() -> assign(assignment))))
                .onComplete(ar -> onLoop(() -> {
                    if (ar.failed()) {
                        refuse(ar.cause());
                        return;
                    }
                    if (closed) {
                        ar.result().leave();
                        return;
                    }
                    member = ar.result();
                    lastHeardNanos = System.nanoTime();
                    pingTimer = vertx.setPeriodic(Math.max(250, params.sessionTimeoutMillis() / 4), id -> ping());
                    startTimers();
                }));
    }

    /**
     * Applies a rebalance: readers of shards taken away stop (a read in flight is dropped), shards given
     * resume after the group's checkpoint, or at {@code from} when there is none. The {@code shards} frame
     * goes out before any event of a new shard.
     */
    private void assign(GroupAssignment assignment) {
        if (closed || assignment.generation() <= generation) {
            return;
        }
        generation = assignment.generation();
        for (var it = readers.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!assignment.shardIds().contains(entry.getKey())) {
                entry.getValue().stop();
                starved.remove(entry.getValue());
                wakeable.remove(entry.getKey());
                it.remove();
            }
        }
        sendText(Frames.groupShards(assignment));
        for (String shardId : assignment.shardIds()) {
            if (readers.containsKey(shardId)) {
                continue;
            }
            String checkpoint = assignment.checkpoints().get(shardId);
            ShardIteratorRequest start;
            ShardIteratorRequest fallback = null;
            if (checkpoint != null) {
                start = new ShardIteratorRequest(params.stream(), shardId, IteratorType.AFTER_SEQUENCE_NUMBER,
                        checkpoint, null);
            } else {
                StartPosition from = params.start();
                start = switch (from.kind()) {
                    case TRIM_HORIZON -> new ShardIteratorRequest(params.stream(), shardId, IteratorType.TRIM_HORIZON,
                            null, null);
                    case LATEST -> new ShardIteratorRequest(params.stream(), shardId, IteratorType.LATEST, null, null);
                    case TIMESTAMP -> new ShardIteratorRequest(params.stream(), shardId, IteratorType.AT_TIMESTAMP,
                            null, from.timestampMillis());
                    case SEQUENCE_NUMBER -> new ShardIteratorRequest(params.stream(), shardId,
                            IteratorType.AT_SEQUENCE_NUMBER, from.sequenceNumber(), null);
                };
                if (from.kind() == StartPosition.Kind.SEQUENCE_NUMBER) {
                    // The number names one shard; the others start at their oldest record, as without a group.
                    fallback = new ShardIteratorRequest(params.stream(), shardId, IteratorType.TRIM_HORIZON, null, null);
                }
            }
            ShardReader reader = new ShardReader(this, tails, shardId, start, null);
            readers.put(shardId, reader);
            wakeable.put(shardId, reader);
            reader.begin(fallback);
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
        if (member == null) {
            sendError("NotAssigned", "Shard " + shardId + " is not assigned to this member yet.");
            return;
        }
        member.checkpoint(shardId, sequenceNumber).onComplete(ar -> onLoop(() -> {
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

    private Future<List<ShardReader>> startIterators(StreamDescription description) {
        if (description.status() != StreamStatus.ACTIVE && description.status() != StreamStatus.UPDATING) {
            return Future.failedFuture(PlatformException.notFound("Stream " + description.name() + " is "
                    + description.status()));
        }
        List<Shard> open = description.shards().stream().filter(Shard::isOpen).toList();
        StartPosition start = params.start();
        if (start.kind() == StartPosition.Kind.SEQUENCE_NUMBER) {
            return startAtSequenceNumber(open, start.sequenceNumber());
        }
        List<Future<ShardReader>> readers = new ArrayList<>();
        for (Shard shard : open) {
            ShardIteratorRequest request = switch (start.kind()) {
                case TRIM_HORIZON -> request(shard, IteratorType.TRIM_HORIZON, null);
                case LATEST -> request(shard, IteratorType.LATEST, null);
                case TIMESTAMP -> new ShardIteratorRequest(params.stream(), shard.shardId(), IteratorType.AT_TIMESTAMP,
                        null, start.timestampMillis());
                case SEQUENCE_NUMBER -> throw new IllegalStateException();
            };
            readers.add(reader(request));
        }
        return Future.all(readers).map(all -> all.<ShardReader>list());
    }

    /** The shard the number belongs to starts at it; the other shards start at TRIM_HORIZON. */
    private Future<List<ShardReader>> startAtSequenceNumber(List<Shard> open, String sequenceNumber) {
        List<Future<ShardReader>> at = new ArrayList<>();
        for (Shard shard : open) {
            at.add(reader(request(shard, IteratorType.AT_SEQUENCE_NUMBER, sequenceNumber))
                    .otherwise(err -> null));
        }
        return Future.all(at).compose(all -> {
            List<Future<ShardReader>> readers = new ArrayList<>();
            boolean owned = false;
            for (int i = 0; i < open.size(); i++) {
                ShardReader found = all.resultAt(i);
                owned |= found != null;
                readers.add(found != null ? Future.succeededFuture(found)
                        : reader(request(open.get(i), IteratorType.TRIM_HORIZON, null)));
            }
            if (!owned) {
                return Future.failedFuture(new SubscribeException(CloseCodes.BAD_PARAMETER, "Invalid from="
                        + sequenceNumber + ": not a sequence number of an open shard of " + params.stream()));
            }
            return Future.all(readers).map(r -> r.<ShardReader>list());
        });
    }

    private ShardIteratorRequest request(Shard shard, IteratorType type, String sequenceNumber) {
        return new ShardIteratorRequest(params.stream(), shard.shardId(), type, sequenceNumber, null);
    }

    private Future<ShardReader> reader(ShardIteratorRequest request) {
        return streams.getShardIterator(request)
                .map(iterator -> new ShardReader(this, tails, request.shardId(), request, iterator));
    }

    private void refuse(Throwable err) {
        if (err instanceof SubscribeException e) {
            close(e.closeCode(), e.getMessage());
        } else if (err instanceof PlatformException p && p.code() == ErrorCode.RESOURCE_NOT_FOUND) {
            close(CloseCodes.UNKNOWN_STREAM, "Stream " + params.stream() + " not found");
        } else if (err instanceof PlatformException p && p.code() == ErrorCode.INVALID_ARGUMENT) {
            close(CloseCodes.BAD_PARAMETER, p.getMessage());
        } else {
            sendError("InternalFailure", String.valueOf(err.getMessage()));
            close(CloseCodes.INTERNAL, "Internal failure");
        }
    }

    // ---- called by the readers (on the loop) -----------------------------------------------------

    Streams streams() {
        return streams;
    }

    SubscribeParams params() {
        return params;
    }

    Context context() {
        return context;
    }

    boolean isClosed() {
        return closed;
    }

    /** Whether the socket can take more; if not, every reader is pumped again once it drains. */
    boolean mayWrite() {
        if (channel.writable() && !ws.writeQueueFull()) {
            return true;
        }
        if (!drainPending) {
            drainPending = true;
            ws.drainHandler(v -> resumeWriting());
        }
        return false;
    }

    /** The socket drained (Vert.x's queue or the channel's buffer): the readers that paused read on. */
    private void resumeWriting() {
        if (drainPending) {
            drainPending = false;
            pumpAll();
        }
    }

    boolean inCreditMode() {
        return creditMode;
    }

    /**
     * Takes credit for one read: at most a fair share of what is left (so one shard cannot hold all of it
     * while its read is in flight). A reader that gets none is pumped again when credit comes back.
     */
    int reserveCredit(ShardReader reader, int wanted) {
        long share = (credit + readers.size() - 1) / Math.max(1, readers.size());
        int n = (int) Math.min(wanted, Math.min(credit, share));
        if (n == 0) {
            starved.add(reader);
        } else {
            starved.remove(reader);
        }
        credit -= n;
        return n;
    }

    /** Gives back credit a read did not use, and lets the readers that got none try again. */
    void returnCredit(int n) {
        if (n <= 0) {
            return;
        }
        credit += n;
        if (!starved.isEmpty()) {
            List<ShardReader> waiting = new ArrayList<>(starved);
            starved.clear();
            waiting.forEach(ShardReader::pump);
        }
    }

    boolean takeCredit() {
        if (credit == 0) {
            return false;
        }
        credit--;
        return true;
    }

    /** Counts records a reader sent. */
    void sent(String shardId, int records, long bytes) {
        metrics.outgoing(params.stream(), shardId, "websocket", records, bytes);
    }

    /** Writes a record's event frame; {@link #flush} sends it. */
    void sendEvent(String shardId, Record r) {
        channel.write(frames.frame(params.stream(), shardId, r));
    }

    /** Writes an event frame encoded by the shard's tail; {@link #flush} sends it. */
    void sendFrame(ByteBuf frame) {
        channel.write(frame);
    }

    /** Sends what the readers wrote (paced: see {@link FrameChannel#flushPaced}). */
    void flush() {
        channel.flushPaced();
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

    void streamDeleted() {
        sendError("StreamDeleted", "Stream " + params.stream() + " was deleted.");
        close(CloseCodes.STREAM_DELETED, "Stream " + params.stream() + " was deleted");
    }

    void fail(String shardId, Throwable err) {
        sendError("InternalFailure", "Reading " + shardId + " failed: " + err.getMessage());
        close(CloseCodes.INTERNAL, "Internal failure reading " + shardId);
    }

    /** Runs {@code task} on the socket's event loop: now if already there. */
    void onLoop(Runnable task) {
        if (Thread.currentThread() == loop) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    /** Runs {@code task} on the socket's event loop after what it is doing now. */
    void later(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    // ---- wake-ups, timers, client messages -------------------------------------------------------

    /**
     * From any thread: at most one queued wake-up per shard, however many appends arrive meanwhile, and none
     * for a reader the shard's tail delivers to.
     */
    private void wake(String shardId) {
        ShardReader reader = wakeable.get(shardId);
        if (reader != null && reader.wantsWakeups() && reader.wakeQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                reader.wakeQueued.set(false);
                if (readers.get(shardId) == reader && !closed) {
                    reader.pump();
                }
            });
        }
    }

    private void pumpAll() {
        if (closed) {
            return;
        }
        for (ShardReader reader : readers.values()) {
            reader.pump();
        }
    }

    private void heartbeat() {
        if (closed || !channel.writable() || ws.writeQueueFull()) {
            return;
        }
        Map<String, Long> behind = new LinkedHashMap<>();
        long max = 0;
        for (ShardReader reader : readers.values()) {
            behind.put(reader.shardId(), reader.millisBehindLatest());
            max = Math.max(max, reader.millisBehindLatest());
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
            creditMode = true;
            credit = Math.min(MAX_CREDIT, credit + ((Number) n).longValue());
            pumpAll();
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
        if (watch != null) {
            watch.cancel();
        }
        for (ShardReader reader : readers.values()) {
            reader.stop();
        }
        if (member != null) {
            member.leave();
        }
        if (openSubscriptions != null) {
            openSubscriptions.remove(lag);
        }
        vertx.cancelTimer(heartbeatTimer);
        vertx.cancelTimer(fallbackTimer);
        vertx.cancelTimer(pingTimer);
    }
}
