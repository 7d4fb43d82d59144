package dev.eddy.api.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Text messages encoded once as the exact bytes a server sends for them on a WebSocket (RFC 6455 §5.2: server
 * frames are not masked), so a message many subscribers receive is encoded once and its bytes are written to
 * every socket as they are. The bytes of frames up to {@link #MAX_DIRECT_BYTES} live in direct memory (the
 * kernel copies them to each socket from there; a heap buffer would first be copied to a direct one per write)
 * owned by the garbage collector, and the buffer cannot be released, so any number of writes may share it.
 * Messages longer than {@link #MAX_FRAME_PAYLOAD} bytes are split into a text frame and continuation frames, as
 * Vert.x splits them (its clients refuse larger frames by default). Stateless.
 */
final class WireFrames {

    /** Vert.x's default maximum WebSocket frame size, on both server and client. */
    static final int MAX_FRAME_PAYLOAD = 65536;
    /** Frames up to this size live in direct memory. */
    static final int MAX_DIRECT_BYTES = 16 * 1024;
    private static final int FIN = 0x80;
    private static final int TEXT = 0x1;
    private static final int CONTINUATION = 0x0;

    private WireFrames() {
    }

    /**
     * The frames of one text message, as a buffer that writes must {@link ByteBuf#duplicate duplicate}
     * (each write needs its own reader index; releasing a duplicate does nothing).
     */
    static ByteBuf text(String message) {
        byte[] out = bytes(message);
        if (out.length > MAX_DIRECT_BYTES) {
            // Large frames stay on the heap (Netty copies them to a pooled buffer per write): many of them in
            // direct memory, freed only by GC, could exhaust it, and then allocateDirect waits for a GC.
            return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(out));
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(out.length);
        direct.put(out).flip();
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct));
    }

    /** The frames of one text message, on the heap. */
    static byte[] bytes(String message) {
        byte[] payload = message.getBytes(StandardCharsets.UTF_8);
        int frames = Math.max(1, (payload.length + MAX_FRAME_PAYLOAD - 1) / MAX_FRAME_PAYLOAD);
        int size = 0;
        for (int i = 0; i < frames; i++) {
            size += headerLength(fragmentLength(payload.length, i)) + fragmentLength(payload.length, i);
        }
        byte[] out = new byte[size];
        int at = 0;
        for (int i = 0; i < frames; i++) {
            int length = fragmentLength(payload.length, i);
            int first = (i == frames - 1 ? FIN : 0) | (i == 0 ? TEXT : CONTINUATION);
            at = header(out, at, first, length);
            System.arraycopy(payload, i * MAX_FRAME_PAYLOAD, out, at, length);
            at += length;
        }
        return out;
    }

    private static int fragmentLength(int total, int index) {
        return Math.min(MAX_FRAME_PAYLOAD, total - index * MAX_FRAME_PAYLOAD);
    }

    private static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    private static int header(byte[] out, int at, int first, int length) {
        out[at++] = (byte) first;
        if (length < 126) {
            out[at++] = (byte) length;
        } else if (length <= 0xFFFF) {
            out[at++] = 126;
            out[at++] = (byte) (length >>> 8);
            out[at++] = (byte) length;
        } else {
            out[at++] = 127;
            for (int shift = 56; shift >= 0; shift -= 8) {
                out[at++] = (byte) ((long) length >>> shift);
            }
        }
        return at;
    }
}
