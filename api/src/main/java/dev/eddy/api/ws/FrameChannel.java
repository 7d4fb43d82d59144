package dev.eddy.api.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * Writes a subscription's messages to its socket as pre-encoded frames ({@link WireFrames}) at the bottom of the
 * channel pipeline, below Vert.x's WebSocket encoder: a frame shared by many subscribers costs each of them a
 * wrapper around the same bytes, not an encoding, a copy and a pooled buffer. Flushes go through Netty's
 * {@link FlushConsolidationHandler}, so the frames written in one event-loop turn (all the pages a loop hands
 * its subscribers) leave in one gathering write per socket rather than one system call per frame.
 *
 * <p>Vert.x's own writes (pings, the close frame) still pass through its encoder; they go out after every frame
 * written here before them. Back-pressure is Netty's: the channel is writable while its outbound buffer holds
 * less than the write-queue size set on the socket; {@link #writable} reports it, and the callback given to
 * {@link #install} runs (on the loop, after Vert.x's own writes drained) when it becomes writable again.
 * Confined to the socket's event loop.
 */
final class FrameChannel extends ChannelDuplexHandler {

    private final Runnable onWritable;
    private ChannelHandlerContext ctx;

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
        pipeline.addFirst("eddy-frames", channel);
        pipeline.addFirst("eddy-flush", new FlushConsolidationHandler(256, true));
        return channel;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Queues a message's frames (not yet flushed). */
    void write(byte[] frames) {
        if (ctx.channel().isActive()) {
            ctx.write(Unpooled.wrappedBuffer(frames), ctx.voidPromise());
        }
    }

    /** Flushes what was written (consolidated with the other flushes of this loop turn). */
    void flush() {
        ctx.flush();
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
