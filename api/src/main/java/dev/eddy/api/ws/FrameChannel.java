package dev.eddy.api.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

import java.util.concurrent.TimeUnit;

/**
 * Writes a subscription's messages to its socket as pre-encoded frames ({@link WireFrames}) at the bottom of the
 * channel pipeline, below Vert.x's WebSocket encoder (but above TLS, on a {@code wss:} socket): a frame shared
 * by many subscribers costs each of them a wrapper around the same bytes, not an encoding, a copy and a pooled
 * buffer. Flushes go through Netty's {@link FlushConsolidationHandler}, so the frames written in one event-loop
 * turn (all the pages a loop hands its subscribers) leave in one gathering write per socket rather than one
 * system call per frame.
 *
 * <p>Event flushes are also paced ({@link #flushPaced}): a socket flushed less than the loop's pacing interval
 * ago is flushed again when the interval has passed, with everything written meanwhile. The interval grows with
 * the number of subscriptions on the loop ({@link #PACING_NANOS_PER_SUBSCRIPTION} each), so a loop makes at most
 * about 20,000 event flushes a second however many subscribers it serves: with few subscribers an event leaves
 * at once; with a hundred following a busy stream, each socket gets a few milliseconds' events per system call
 * instead of one call per event, which is what lets the fan-out keep up (on both ends of the connection).
 *
 * <p>Vert.x's own writes (pings, the close frame) still pass through its encoder; they go out after every frame
 * written here before them. Back-pressure is Netty's: the channel is writable while its outbound buffer holds
 * less than the write-queue size set on the socket; {@link #writable} reports it, and the callback given to
 * {@link #install} runs (on the loop, after Vert.x's own writes drained) when it becomes writable again.
 * Confined to the socket's event loop.
 */
final class FrameChannel extends ChannelDuplexHandler {

    /** Pacing interval per subscription on a loop: 50 µs, i.e. about 20,000 paced flushes a second per loop. */
    static final long PACING_NANOS_PER_SUBSCRIPTION = 50_000;
    /** Subscriptions per event-loop thread (each loop counts only its own). */
    private static final ThreadLocal<int[]> ON_LOOP = ThreadLocal.withInitial(() -> new int[1]);

    private final Runnable onWritable;
    private ChannelHandlerContext ctx;
    private long lastFlushNanos;
    private boolean flushScheduled;
    /** The counter of the loop this channel counts toward, until released. */
    private int[] loopCount;

    private FrameChannel(Runnable onWritable) {
        this.onWritable = onWritable;
    }

    /** Adds the handlers to the socket's pipeline; called on its event loop. */
    static FrameChannel install(ServerWebSocket ws, Runnable onWritable) {
        if (!(ws instanceof WebSocketInternal internal)) {
            throw new IllegalStateException("not a Vert.x server WebSocket: " + ws.getClass().getName());
        }
        ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
        if (pipeline.get(WebSocketFrameEncoder.class) == null) {
            throw new IllegalStateException("no WebSocket frame encoder in the pipeline: " + pipeline.names());
        }
        FrameChannel channel = new FrameChannel(onWritable);
        // Outbound writes travel toward the head: the frames must still pass through TLS when there is TLS.
        ChannelHandlerContext tls = pipeline.context(SslHandler.class);
        if (tls == null) {
            pipeline.addFirst("eddy-frames", channel);
            pipeline.addFirst("eddy-flush", new FlushConsolidationHandler(256, true));
        } else {
            pipeline.addAfter(tls.name(), "eddy-flush", new FlushConsolidationHandler(256, true));
            pipeline.addAfter("eddy-flush", "eddy-frames", channel);
        }
        channel.loopCount = ON_LOOP.get();
        channel.loopCount[0]++;
        return channel;
    }

    /** The subscription ended: it no longer counts toward its loop's pacing interval. On the loop. */
    void release() {
        if (loopCount != null) {
            loopCount[0]--;
            loopCount = null;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Queues a message's frames ({@link WireFrames#text}, or one message's own buffer), not yet flushed. */
    void write(ByteBuf frames) {
        if (ctx.channel().isActive()) {
            ctx.write(frames.duplicate(), ctx.voidPromise());
        }
    }

    /** Flushes what was written (consolidated with the other flushes of this loop turn). */
    void flush() {
        lastFlushNanos = System.nanoTime();
        ctx.flush();
    }

    /** Flushes events now, or once the loop's pacing interval since the last flush has passed. */
    void flushPaced() {
        if (flushScheduled) {
            return;
        }
        int subscriptions = loopCount == null ? 1 : loopCount[0];
        long wait = lastFlushNanos + subscriptions * PACING_NANOS_PER_SUBSCRIPTION - System.nanoTime();
        if (wait <= 0) {
            flush();
            return;
        }
        flushScheduled = true;
        ctx.executor().schedule(() -> {
            flushScheduled = false;
            flush();
        }, wait, TimeUnit.NANOSECONDS);
    }

    /** Whether the socket takes more: its outbound buffer is below the high-water mark. */
    boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Vert.x (further up the pipeline) drains its own queued writes on this event first; resume after it.
        if (ctx.channel().isWritable()) {
            ctx.executor().execute(onWritable);
        }
        ctx.fireChannelWritabilityChanged();
    }
}
