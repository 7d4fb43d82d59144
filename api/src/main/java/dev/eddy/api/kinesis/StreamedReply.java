package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A reply written token by token with the format's {@link JsonGenerator} straight into a Vert.x buffer,
 * with no tree in between. Subclasses write the same calls, in the same order, that serializing the
 * equivalent tree makes, so the bytes are the same. Immutable.
 */
abstract class StreamedReply implements Reply {

    /** Writes the body (one object). */
    abstract void write(JsonGenerator gen) throws IOException;

    /** A guess of the encoded size, to size the buffer once. */
    abstract int sizeHint(WireFormat format);

    @Override
    public final Buffer encode(WireFormat format) throws IOException {
        Buffer buffer = Buffer.buffer(Math.max(64, sizeHint(format)));
        try (JsonGenerator gen = format.mapper().createGenerator(new BufferOutput(buffer))) {
            write(gen);
        }
        return buffer;
    }

    /** The size of a blob once encoded: base64 text in JSON, raw bytes in CBOR. */
    static int blobSize(WireFormat format, int length) {
        return format == WireFormat.JSON ? (length + 2) / 3 * 4 : length;
    }

    /** An output stream appending to a buffer. Not thread-safe. */
    private static final class BufferOutput extends OutputStream {
        private final Buffer buffer;

        BufferOutput(Buffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void write(int b) {
            buffer.appendByte((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            buffer.appendBytes(b, off, len);
        }
    }
}
