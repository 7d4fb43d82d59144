package dev.eddy.api.ws;

import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/streams/{stream}/subscribe}: upgrades to a WebSocket and starts a {@link Subscription}.
 * Problems with the request (bad parameters, unknown stream) are reported after the upgrade, as close codes,
 * because a browser cannot read the HTTP status of a refused upgrade. Thread-safe (stateless).
 */
public final class SubscribeHandler {

    private static final Pattern PATH = Pattern.compile("/v1/streams/([^/]+)/subscribe");

    private final Vertx vertx;
    private final Streams streams;
    private final Clock clock;
    private final EventFrames frames = new EventFrames();
    private final StreamMetrics metrics;

    public SubscribeHandler(Vertx vertx, Streams streams, Clock clock, StreamMetrics metrics) {
        this.metrics = metrics;
        this.vertx = vertx;
        this.streams = streams;
        this.clock = clock;
    }

    /** Whether the request is for this handler. */
    public boolean matches(HttpServerRequest request) {
        return PATH.matcher(request.path()).matches();
    }

    /** Handles a request for which {@link #matches} is true. */
    public void handle(HttpServerRequest request) {
        Matcher m = PATH.matcher(request.path());
        if (!m.matches() || request.method() != HttpMethod.GET
                || !"websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
            request.response().setStatusCode(400).putHeader("Content-Type", "application/problem+json")
                    .end(new JsonObject().put("type", "/problems/websocket-required").put("title", "WebSocket required")
                            .put("status", 400).put("detail", request.method() + " " + request.path()
                                    + " must be a WebSocket upgrade (GET with Upgrade: websocket).").encode());
            return;
        }
        String stream = m.group(1);
        SubscribeParams params;
        SubscribeException refused;
        try {
            params = SubscribeParams.parse(stream, request.params());
            refused = null;
        } catch (SubscribeException e) {
            params = null;
            refused = e;
        }
        SubscribeParams accepted = params;
        SubscribeException rejection = refused;
        request.toWebSocket().onSuccess(ws -> {
            if (rejection != null) {
                ws.close(rejection.closeCode(), CloseCodes.reason(rejection.getMessage()));
            } else {
                Subscription.start(vertx, streams, clock, frames, metrics, ws, accepted);
            }
        });
    }
}
