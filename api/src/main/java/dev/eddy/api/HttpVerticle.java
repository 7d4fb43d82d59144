package dev.eddy.api;

import dev.eddy.api.kinesis.KinesisHttpHandler;
import dev.eddy.api.rest.RestHandler;
import dev.eddy.api.ws.SubscribeHandler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One HTTP server instance on its own event loop: HTTP/1.1 and HTTP/2 cleartext (prior knowledge and
 * upgrade) on one port. Several instances share the port; Vert.x spreads connections over them.
 * Routes: {@code POST /} Kinesis, {@code GET /v1/streams/{stream}/subscribe} (WebSocket), {@code /v1/...} REST,
 * {@code GET /health}, {@code GET /ready}, {@code GET /metrics} (Prometheus). Confined to its event loop.
 */
final class HttpVerticle extends VerticleBase {

    private static final Buffer UP = Buffer.buffer("{\"status\":\"UP\"}");
    private static final Buffer READY = Buffer.buffer("{\"status\":\"READY\"}");
    private static final Buffer NOT_READY = Buffer.buffer("{\"status\":\"NOT_READY\"}");

    private final String host;
    private final int port;
    private final KinesisHttpHandler kinesis;
    private final RestHandler rest;
    private final SubscribeHandler subscribe;
    private final Telemetry telemetry;
    private final BooleanSupplier ready;
    private final IntConsumer boundPort;

    HttpVerticle(String host, int port, KinesisHttpHandler kinesis, RestHandler rest, SubscribeHandler subscribe,
                 Telemetry telemetry, BooleanSupplier ready, IntConsumer boundPort) {
        this.telemetry = telemetry;
        this.host = host;
        this.port = port;
        this.kinesis = kinesis;
        this.rest = rest;
        this.subscribe = subscribe;
        this.ready = ready;
        this.boundPort = boundPort;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setHttp2ClearTextEnabled(true)
                .setHandle100ContinueAutomatically(true)
                .setTcpNoDelay(true);
        HttpServer server = vertx.createHttpServer(options).requestHandler(this::route);
        return server.listen().onSuccess(s -> boundPort.accept(s.actualPort()));
    }

    private void route(HttpServerRequest request) {
        String path = request.path();
        if ("/".equals(path)) {
            if (request.method() == HttpMethod.POST) {
                kinesis.handle(request);
            } else {
                json(request, 405, Buffer.buffer("{\"__type\":\"UnknownOperationException\",\"message\":"
                        + "\"Kinesis requests are POST / with an X-Amz-Target header.\"}"));
            }
            return;
        }
        if (subscribe.matches(request)) {
            subscribe.handle(request);
            return;
        }
        if (RestHandler.serves(path)) {
            rest.handle(request);
            return;
        }
        if (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) {
            switch (path) {
                case "/health" -> {
                    json(request, 200, UP);
                    return;
                }
                case "/metrics" -> {
                    if (telemetry.enabled()) {
                        metrics(request);
                        return;
                    }
                }
                case "/ready" -> {
                    boolean isReady = ready.getAsBoolean();
                    json(request, isReady ? 200 : 503, isReady ? READY : NOT_READY);
                    return;
                }
                default -> {
                }
            }
        }
        json(request, 404, Buffer.buffer("{\"message\":\"Not found: " + request.method() + " "
                + path.replace("\"", "") + "\"}"));
    }

    /** The Prometheus text format; rendered on a worker thread (it walks every meter). */
    private void metrics(HttpServerRequest request) {
        vertx.executeBlocking(telemetry::scrapeBlocking, false).onComplete(ar -> {
            if (ar.succeeded()) {
                request.response().setStatusCode(200)
                        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
            } else {
                json(request, 500, Buffer.buffer("{\"message\":\"Cannot render the metrics\"}"));
            }
        });
    }

    private static void json(HttpServerRequest request, int status, Buffer body) {
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
    }
}
