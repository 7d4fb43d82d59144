package dev.eddy.api.kinesis;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * An answer that is not one body but a stream of AWS event-stream messages pushed for a while
 * ({@code application/vnd.amazon.eventstream}, e.g. SubscribeToShard's events): the HTTP handler hands it the
 * request and it owns the response from then on.
 */
abstract class EventStreamReply implements Reply {

    /** The content type of an event stream. */
    static final String CONTENT_TYPE = "application/vnd.amazon.eventstream";

    /**
     * Starts answering on the request's context: status 200, the headers, then the events, until the stream ends
     * the response itself or the client goes away.
     */
    abstract void start(HttpServerRequest request, String requestId, WireFormat format);

    @Override
    public final Buffer encode(WireFormat format) {
        throw new IllegalStateException("an event stream is written as it goes, by start()");
    }
}
