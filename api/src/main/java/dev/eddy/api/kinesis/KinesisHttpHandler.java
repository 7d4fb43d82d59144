package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.StreamMetrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The HTTP edge of the Kinesis protocol ({@code POST /}): reads the body up to the size limit, picks the
 * action from {@code X-Amz-Target} and the format from {@code Content-Type}, parses the Signature V4
 * credential scope, runs the action and writes the answer (or the error) in the request's format with an
 * {@code x-amzn-RequestId}. Thread-safe; never blocks.
 */
public final class KinesisHttpHandler implements Handler<HttpServerRequest> {

    public static final String REQUEST_ID = "x-amzn-RequestId";

    private final KinesisApi api;
    private final int maxBodyBytes;
    private final StreamMetrics metrics;

    public KinesisHttpHandler(KinesisApi api, int maxBodyBytes, StreamMetrics metrics) {
        this.api = api;
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
    }

    /** What a request was, for its metrics: filled in as far as the request could be understood. */
    private static final class Seen {
        String operation = "Unknown";
        String stream;
    }

    @Override
    public void handle(HttpServerRequest request) {
        long started = System.nanoTime();
        Seen seen = new Seen();
        String requestId = requestId();
        String contentType = request.getHeader("Content-Type");
        WireFormat format = WireFormat.ofContentType(contentType);
        // Errors before the format is known are written as JSON.
        WireFormat replyFormat = format == null ? WireFormat.JSON : format;
        BodyCollector body = new BodyCollector(maxBodyBytes, contentLength(request));
        request.handler(body::append);
        request.exceptionHandler(e -> { /* connection reset: nothing to answer */ });
        request.endHandler(v -> {
            Future<Reply> answer;
            try {
                answer = dispatch(request, format, contentType, body, seen);
            } catch (RuntimeException e) {
                answer = Future.failedFuture(e);
            }
            answer.onComplete(ar -> {
                if (ar.succeeded() && ar.result() instanceof EventStreamReply events) {
                    // A stream of events (SubscribeToShard): it owns the response from here on.
                    metrics.request("kinesis", seen.operation, seen.stream, "success", System.nanoTime() - started);
                    events.start(request, requestId, replyFormat);
                } else if (ar.succeeded()) {
                    long encodeStarted = System.nanoTime();
                    send(request.response(), requestId, replyFormat, 200, ar.result(), null);
                    metrics.requestPhase("kinesis", "encode", System.nanoTime() - encodeStarted);
                    metrics.request("kinesis", seen.operation, seen.stream, "success", System.nanoTime() - started);
                } else {
                    KinesisException error = KinesisErrors.toWire(ar.cause());
                    metrics.request("kinesis", seen.operation, seen.stream, error.type(), System.nanoTime() - started);
                    ObjectNode node = Shapes.object();
                    node.put("__type", error.type());
                    node.put("message", error.getMessage());
                    send(request.response(), requestId, replyFormat, error.status(), Reply.of(node), error.type());
                }
            });
        });
    }

    private Future<Reply> dispatch(HttpServerRequest request, WireFormat format, String contentType,
                                   BodyCollector body, Seen seen) {
        if (body.overflowed()) {
            throw new KinesisException("InvalidArgumentException", 413, "Request body of " + body.seen()
                    + " bytes exceeds the limit of " + maxBodyBytes + " bytes.");
        }
        String target = request.getHeader("X-Amz-Target");
        if (target == null || target.isBlank()) {
            throw new KinesisException("MissingAction", 400, "Missing header X-Amz-Target: a Kinesis request names "
                    + "its action as X-Amz-Target: " + KinesisApi.TARGET_PREFIX + "<Action>.");
        }
        if (!target.startsWith(KinesisApi.TARGET_PREFIX)) {
            throw KinesisException.unknownOperation("Unknown X-Amz-Target '" + Params.abbreviate(target)
                    + "': expected " + KinesisApi.TARGET_PREFIX + "<Action>.");
        }
        String action = target.substring(KinesisApi.TARGET_PREFIX.length());
        if (!api.supports(action)) {
            throw KinesisException.unknownOperation("Operation " + action + " is not supported by this server.");
        }
        if (format == null) {
            throw new KinesisException("UnsupportedMediaTypeException", 415, "Unsupported Content-Type '"
                    + contentType + "': use application/x-amz-json-1.1 or application/x-amz-cbor-1.1.");
        }
        seen.operation = action;
        SigV4.parse(request.getHeader("Authorization"));
        long decodeStarted = System.nanoTime();
        KinesisApi.Call call = api.decode(action, format, body.array(), body.length());
        metrics.requestPhase("kinesis", "decode", System.nanoTime() - decodeStarted);
        seen.stream = call.stream();
        return call.run();
    }

    /** Parses the body to a tree; anything but one object is a {@code SerializationException}. */
    static ObjectNode parse(WireFormat format, BodyCollector body) {
        return BodyTree.parse(format, body.array(), body.length());
    }

    private static void send(HttpServerResponse response, String requestId, WireFormat format, int status,
                             Reply body, String errorType) {
        if (response.closed() || response.ended()) {
            return;
        }
        Buffer bytes;
        try {
            bytes = body.encode(format);
        } catch (IOException e) {
            status = 500;
            errorType = "InternalFailure";
            bytes = Buffer.buffer("{\"__type\":\"InternalFailure\",\"message\":\"Cannot encode the response\"}");
            format = WireFormat.JSON;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", format.contentType())
                .putHeader(REQUEST_ID, requestId);
        if (errorType != null) {
            response.putHeader("x-amzn-ErrorType", errorType);
        }
        response.end(bytes);
    }

    private static long contentLength(HttpServerRequest request) {
        String header = request.getHeader("Content-Length");
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A random (version 4) UUID without SecureRandom's contention. */
    private static String requestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & ~(0xC000000000000000L)) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
