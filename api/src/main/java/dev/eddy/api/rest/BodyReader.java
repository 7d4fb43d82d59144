package dev.eddy.api.rest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body up to a limit. Past the limit it keeps reading but drops the bytes, so the client
 * can finish sending and gets a payload-too-large problem rather than a reset connection. Stateless;
 * each read runs on the request's event loop.
 */
final class BodyReader {

    private BodyReader() {
    }

    /** The whole body, or a payload-too-large {@link Problem} when it exceeds {@code limit} bytes. */
    static Future<Buffer> read(HttpServerRequest request, int limit) {
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        long[] seen = {0};
        request.handler(chunk -> {
            seen[0] += chunk.length();
            if (seen[0] <= limit) {
                body.appendBuffer(chunk);
            }
        });
        request.exceptionHandler(promise::tryFail);
        request.endHandler(v -> {
            if (seen[0] > limit) {
                promise.tryFail(new Problem(ProblemType.PAYLOAD_TOO_LARGE, "The request body of " + seen[0]
                        + " bytes exceeds the server's limit of " + limit + " bytes (setting max-request-bytes).")
                        .with("limitBytes", limit));
            } else {
                promise.tryComplete(body);
            }
        });
        return promise.future();
    }
}
