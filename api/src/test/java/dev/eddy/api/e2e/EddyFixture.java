package dev.eddy.api.e2e;

import dev.eddy.api.EddyConfig;
import dev.eddy.api.EddyServer;
import dev.eddy.api.TestBackends;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An Eddy server running in this JVM on an ephemeral port, for one test class (also the bench module's tests,
 * through the test-jar). Not thread-safe (start and close from the test thread).
 */
public final class EddyFixture implements AutoCloseable {

    private final Vertx vertx;
    private EddyServer server;
    private final Path dataDir;

    private EddyFixture(Vertx vertx, EddyServer server, Path dataDir) {
        this.vertx = vertx;
        this.server = server;
        this.dataDir = dataDir;
    }

    /** Starts a server on this run's test backend ({@link TestBackends}) with the given clock. */
    static EddyFixture start(Clock clock) {
        return start(config -> config.withClock(clock));
    }

    /** Starts a server on this run's test backend ({@link TestBackends}), the defaults changed by {@code settings}. */
    public static EddyFixture start(UnaryOperator<EddyConfig> settings) {
        Path dir;
        try {
            dir = Files.createTempDirectory("eddy-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Vertx vertx = Vertx.vertx();
        EddyConfig config = TestBackends.apply(settings.apply(EddyConfig.defaults()
                .withPort(0)
                .withHost("127.0.0.1")), dir);
        try {
            EddyServer server = await(EddyServer.start(vertx, config));
            return new EddyFixture(vertx, server, dir);
        } catch (RuntimeException e) {
            await(vertx.close());
            throw e;
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    /** The TLS port's endpoint ({@code https://127.0.0.1:port}); the server must have been started with TLS on. */
    URI tlsEndpoint() {
        if (server.actualTlsPort() < 0) {
            throw new IllegalStateException("this server has no TLS port");
        }
        return URI.create("https://127.0.0.1:" + server.actualTlsPort());
    }

    int maxRequestBytes() {
        return server.config().maxRequestBytes();
    }

    /** The Vert.x instance the server runs on (for clients in tests). */
    Vertx vertx() {
        return vertx;
    }

    /** The in-process server. */
    EddyServer server() {
        return server;
    }

    int port() {
        return server.actualPort();
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops the server and starts it again on the same data (directory or database) and Vert.x instance, as
     * an operator's restart would; the new server listens on a new ephemeral port.
     */
    void restart() {
        EddyConfig config = server.config();
        await(server.close());
        server = await(EddyServer.start(vertx, config));
    }

    @Override
    public void close() {
        try {
            await(server.close());
        } finally {
            await(vertx.close());
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a leftover temp directory is harmless
            }
        }
    }
}
