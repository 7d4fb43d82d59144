package dev.eddy.api.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pre-encoded frames, read back by Netty's client-side RFC 6455 decoder (unmasked frames). */
class WireFramesTest {

    private static List<WebSocketFrame> decode(byte[] wire) {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).maxFramePayloadLength(WireFrames.MAX_FRAME_PAYLOAD).build()));
        // In two pieces, as TCP may deliver them.
        int half = wire.length / 2;
        channel.writeInbound(Unpooled.wrappedBuffer(wire, 0, half));
        channel.writeInbound(Unpooled.wrappedBuffer(wire, half, wire.length - half));
        List<WebSocketFrame> frames = new ArrayList<>();
        WebSocketFrame f;
        while ((f = channel.readInbound()) != null) {
            frames.add(f);
        }
        channel.finishAndReleaseAll();
        return frames;
    }

    private static String reassemble(List<WebSocketFrame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size(); i++) {
            WebSocketFrame f = frames.get(i);
            if (i == 0) {
                assertInstanceOf(TextWebSocketFrame.class, f);
            } else {
                assertInstanceOf(ContinuationWebSocketFrame.class, f);
            }
            assertEquals(i == frames.size() - 1, f.isFinalFragment(), "FIN only on the last frame");
            assertEquals(0, f.rsv());
            ByteBuf content = f.content();
            assertTrue(content.readableBytes() <= WireFrames.MAX_FRAME_PAYLOAD);
            byte[] bytes = new byte[content.readableBytes()];
            content.readBytes(bytes);
            out.writeBytes(bytes);
            f.release();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyLengthEncodingRoundTrips() {
        for (int length : new int[] {0, 1, 125, 126, 127, 65535, 65536, 65537, 3 * 65536, 200_001}) {
            String message = "a".repeat(length);
            List<WebSocketFrame> frames = decode(WireFrames.bytes(message));
            ByteBuf shared = WireFrames.text(message);
            assertEquals(shared.readableBytes() <= WireFrames.MAX_DIRECT_BYTES, shared.isDirect());
            byte[] copy = new byte[shared.readableBytes()];
            shared.duplicate().readBytes(copy);
            assertTrue(java.util.Arrays.equals(WireFrames.bytes(message), copy));
            shared.duplicate().release();
            assertEquals(1, shared.refCnt(), "writes cannot release the shared frame");
            assertEquals(Math.max(1, (length + 65535) / 65536), frames.size(), "frames for " + length);
            assertEquals(message, reassemble(frames), "length " + length);
        }
    }

    @Test
    void multiByteCharactersSplitAcrossFramesReassemble() {
        String message = "\u00e9\u20ac\uD83D\uDE00".repeat(30_000);
        assertEquals(message, reassemble(decode(WireFrames.bytes(message))));
    }
}
