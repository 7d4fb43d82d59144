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
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One HTTP server instance on its own event loop: HTTP/1.1 and HTTP/2 cleartext (prior knowledge and
 * upgrade) on one port and, when TLS is on, HTTPS with HTTP/2 and HTTP/1.1 on another (TLS terminated there,
 * each connection handed to the cleartext port over loopback), both serving the same routes. Several instances share the ports; Vert.x spreads connections over them.
 * Routes: {@code POST /} Kinesis, {@code GET /v1/streams/{stream}/subscribe} (WebSocket), {@code /v1/...} REST,
 * {@code GET /health}, {@code GET /ready}, {@code GET /metrics} (Prometheus). Confined to its event loop.
 */
final class HttpVerticle extends VerticleBase {

    private static final Buffer UP = Buffer.buffer("{\"status\":\"UP\"}");
    private static final Buffer READY = Buffer.buffer("{\"status\":\"READY\"}");
    private static final Buffer NOT_READY = Buffer.buffer("{\"status\":\"NOT_READY\"}");

    /**
     * One port to listen on: cleartext, or TLS with this certificate and key.
     *
     * @param port  the port; a negative one is a random port shared by every instance listening on that number
     * @param tls   the certificate and key, or {@code null} for cleartext
     * @param bound told the bound port
     */
    record Listener(int port, TlsMaterial tls, IntConsumer bound) {
    }

    private final String host;
    private final List<Listener> listeners;
    private final KinesisHttpHandler kinesis;
    private final RestHandler rest;
    private final SubscribeHandler subscribe;
    private final Telemetry telemetry;
    private final BooleanSupplier ready;

    HttpVerticle(String host, List<Listener> listeners, KinesisHttpHandler kinesis, RestHandler rest,
                 SubscribeHandler subscribe, Telemetry telemetry, BooleanSupplier ready) {
        this.telemetry = telemetry;
        this.host = host;
        this.listeners = List.copyOf(listeners);
        this.kinesis = kinesis;
        this.rest = rest;
        this.subscribe = subscribe;
        this.ready = ready;
    }

    @Override
    public Future<?> start() {
        // The cleartext port first: the TLS ports hand their connections to it.
        Listener cleartext = listeners.stream().filter(l -> l.tls() == null).findFirst()
                .orElseThrow(() -> new IllegalStateException("no cleartext listener"));
        return listen(cleartext).compose(server -> Future.all(listeners.stream().filter(l -> l.tls() != null)
                .map(l -> listenTls(l, server.actualPort())).toList()));
    }

    private Future<HttpServer> listen(Listener listener) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(host)
                .setPort(listener.port())
                .setHandle100ContinueAutomatically(true)
                .setTcpNoDelay(true)
                .setHttp2ClearTextEnabled(true);
        HttpServer server = vertx.createHttpServer(options).requestHandler(this::route);
        return server.listen().onSuccess(s -> listener.bound().accept(s.actualPort()));
    }

    /**
     * A TLS port: TLS is terminated here (ALPN offers h2 and http/1.1), and the connection's bytes go on to the
     * cleartext port over loopback, which tells HTTP/2 from HTTP/1.1 by the first bytes the client sends. So a
     * client that chose HTTP/2 by ALPN, one that speaks HTTP/2 without asking (the AWS SDK's async client by
     * default, and KCL's), and an HTTP/1.1 client (boto3, the AWS CLI, KPL, WebSocket) are all served, as Kinesis's
     * endpoints serve them. (Vert.x's own TLS server picks HTTP/2 only by ALPN.) Both directions are piped with
     * back-pressure; either side closing closes the other.
     */
    private Future<NetServer> listenTls(Listener listener, int cleartextPort) {
        NetServerOptions options = new NetServerOptions()
                .setHost(host)
                .setPort(listener.port())
                .setTcpNoDelay(true)
                .setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(listener.tls().certPath().toString())
                        .setKeyPath(listener.tls().keyPath().toString()))
                .setUseAlpn(true);
        options.getSslOptions().setApplicationLayerProtocols(List.of("h2", "http/1.1"));
        NetClient inner = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
        String loopback = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
        NetServer server = vertx.createNetServer(options).connectHandler(outer -> {
            outer.pause();
            inner.connect(cleartextPort, loopback).onComplete(ar -> {
                if (ar.failed()) {
                    outer.close();
                    return;
                }
                NetSocket plain = ar.result();
                outer.closeHandler(v -> plain.close());
                plain.closeHandler(v -> outer.close());
                outer.pipeTo(plain);
                plain.pipeTo(outer);
            });
        });
        return server.listen().onSuccess(s -> listener.bound().accept(s.actualPort()));
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
