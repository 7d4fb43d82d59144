package dev.eddy.api.e2e;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real WebSocket client subscribed to an Eddy stream, keeping every frame it receives: either the Vert.x
 * client or {@code java.net.http.WebSocket}, so tests run against two independent implementations.
 * Thread-safe.
 */
abstract class WsSubscriber implements AutoCloseable {

    /** How a socket was closed. */
    record Close(int code, String reason) {
    }

    private final List<JsonObject> frames = new ArrayList<>();
    /** When false, event frames are kept without their data, so big runs keep little memory. */
    volatile boolean keepData = true;
    final CompletableFuture<Close> closed = new CompletableFuture<>();
    /** The handshake's {@code Sec-WebSocket-Extensions} (Vert.x client only). */
    volatile String extensions;

    /** The Vert.x WebSocket client; {@code paused}: never reads from the socket. */
    static WsSubscriber vertx(Vertx vertx, int port, String uri, boolean paused) {
        return new VertxSubscriber(vertx, port, uri, paused, false);
    }

    /** The Vert.x client negotiating {@code permessage-deflate}, as browsers do. */
    static WsSubscriber vertxDeflate(Vertx vertx, int port, String uri) {
        return new VertxSubscriber(vertx, port, uri, false, true);
    }

    /** {@code java.net.http.WebSocket}; {@code paused}: never signals demand, so it never reads. */
    static WsSubscriber jdk(int port, String uri, boolean paused) {
        return new JdkSubscriber(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + port + uri), paused);
    }

    /** {@code java.net.http.WebSocket} over TLS ({@code wss:}) to the server at {@code https}, trusting {@code ssl}. */
    static WsSubscriber jdkTls(URI https, SSLContext ssl, String uri) {
        return new JdkSubscriber(HttpClient.newBuilder().sslContext(ssl).build(),
                URI.create("wss://" + https.getAuthority() + uri), false);
    }

    abstract void send(String text);

    /** Stops reading from the socket (the server's writes back up) until {@link #resume}. */
    abstract void pause();

    abstract void resume();

    @Override
    public abstract void close();

    void received(String text) {
        JsonObject frame = new JsonObject(text);
        if (!keepData) {
            frame.remove("data");
            frame.remove("dataBase64");
        }
        synchronized (frames) {
            frames.add(frame);
            frames.notifyAll();
        }
    }

    List<JsonObject> frames() {
        synchronized (frames) {
            return new ArrayList<>(frames);
        }
    }

    List<JsonObject> events() {
        return frames().stream().filter(f -> "event".equals(f.getString("frame"))).toList();
    }

    /** Waits until {@code n} event frames have arrived; fails with what arrived after {@code timeout}. */
    List<JsonObject> awaitEvents(int n, Duration timeout) {
        awaitFrames(f -> "event".equals(f.getString("frame")), n, timeout);
        return events();
    }

    /**
     * Polls (unlike {@link #awaitEvents}, which re-counts every frame on each arrival, too slow for big runs)
     * until {@code n} event frames arrived and then a little longer, so an extra event would be seen; fails
     * if the socket closes first or after {@code timeout}.
     */
    List<JsonObject> pollEvents(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int count = 0;
        while (System.nanoTime() < deadline) {
            count = events().size();
            if (count >= n) {
                Thread.sleep(300);
                return events();
            }
            if (closed.isDone()) {
                fail("socket closed after " + count + " events: " + closed.getNow(null));
            }
            Thread.sleep(200);
        }
        fail("expected " + n + " events, got " + count + " within " + timeout);
        return List.of();
    }

    /** Waits for the first frame of the kind. */
    JsonObject awaitFrame(String kind, Duration timeout) {
        awaitFrames(f -> kind.equals(f.getString("frame")), 1, timeout);
        return frames().stream().filter(f -> kind.equals(f.getString("frame"))).findFirst().orElseThrow();
    }

    /** Waits for the first frame that matches. */
    JsonObject awaitFrame(Predicate<JsonObject> match, Duration timeout) {
        awaitFrames(match, 1, timeout);
        return frames().stream().filter(match).findFirst().orElseThrow();
    }

    private void awaitFrames(Predicate<JsonObject> kind, int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (frames) {
            while (frames.stream().filter(kind).count() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("expected " + n + " frames, got " + frames.stream().filter(kind).count() + "; closed: "
                            + closed.getNow(null) + "; other frames: "
                            + frames.stream().filter(kind.negate()).limit(20).toList());
                }
                try {
                    frames.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    Close awaitClose(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("socket not closed within " + timeout + "; frames: " + frames(), e);
        }
    }

    private static final class VertxSubscriber extends WsSubscriber {
        private final WebSocketClient client;
        private final ClientWebSocket ws;

        VertxSubscriber(Vertx vertx, int port, String uri, boolean paused, boolean deflate) {
            client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(4 * 1024 * 1024)
                    .setTryUsePerMessageCompression(deflate));
            ws = client.webSocket();
            // Handlers are set before connecting, so not even the first frame can be missed.
            ws.textMessageHandler(this::received);
            ws.closeHandler(v -> closed.complete(new Close(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode(),
                    ws.closeReason())));
            try {
                EddyFixture.await(ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri))
                        .onSuccess(connected -> {
                            extensions = connected.headers().get("Sec-WebSocket-Extensions");
                            if (paused) {
                                connected.pause();
                            }
                        }));
            } catch (IllegalStateException e) {
                if (!String.valueOf(e.getMessage()).contains("WebSocket is closed")) {
                    throw e;
                }
                // The server closed right after the upgrade (a refused subscription) before the Vert.x client had
                // installed the handlers set above; the socket still knows how it was closed.
                closed.complete(new Close(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode(), ws.closeReason()));
            }
        }

        @Override
        void send(String text) {
            EddyFixture.await(ws.writeTextMessage(text));
        }

        @Override
        void pause() {
            ws.pause();
        }

        @Override
        void resume() {
            ws.resume();
        }

        @Override
        public void close() {
            EddyFixture.await(client.close());
        }
    }

    private static final class JdkSubscriber extends WsSubscriber implements java.net.http.WebSocket.Listener {
        private final boolean paused;
        private final StringBuilder partial = new StringBuilder();
        private boolean holding;
        private boolean owed;
        private final java.net.http.WebSocket ws;

        JdkSubscriber(HttpClient http, URI uri, boolean paused) {
            this.paused = paused;
            ws = http.newWebSocketBuilder().buildAsync(uri, this).join();
        }

        @Override
        public void onOpen(java.net.http.WebSocket webSocket) {
            if (!paused) {
                webSocket.request(1);
            }
        }

        @Override
        public CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                received(text);
            }
            synchronized (this) {
                if (holding) {
                    owed = true;
                    return null;
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        synchronized void pause() {
            holding = true;
        }

        @Override
        void resume() {
            boolean request;
            synchronized (this) {
                holding = false;
                request = owed;
                owed = false;
            }
            if (request) {
                ws.request(1);
            }
        }

        @Override
        public CompletionStage<?> onClose(java.net.http.WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(java.net.http.WebSocket webSocket, Throwable error) {
            closed.complete(new Close(-1, String.valueOf(error)));
        }

        @Override
        void send(String text) {
            ws.sendText(text, true).join();
        }

        @Override
        public void close() {
            ws.abort();
        }
    }
}
