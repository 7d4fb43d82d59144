package dev.eddy.bench.e2e;

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
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An Eddy server in this JVM on an ephemeral port, on this run's test backend ({@link TestBackends}), with
 * {@code /metrics} on unless asked otherwise. Not thread-safe (start and close from the test thread).
 */
final class EddyFixture implements AutoCloseable {

    private final Vertx vertx;
    private final EddyServer server;
    private final Path dataDir;

    private EddyFixture(Vertx vertx, EddyServer server, Path dataDir) {
        this.vertx = vertx;
        this.server = server;
        this.dataDir = dataDir;
    }

    static EddyFixture start() {
        return start(true);
    }

    static EddyFixture start(boolean metrics) {
        Path dir;
        try {
            dir = Files.createTempDirectory("eddy-bench-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Vertx vertx = Vertx.vertx();
        EddyConfig config = TestBackends.apply(EddyConfig.defaults().withPort(0).withHost("127.0.0.1")
                .withMetrics(metrics, ""), dir);
        try {
            return new EddyFixture(vertx, await(EddyServer.start(vertx, config)), dir);
        } catch (RuntimeException e) {
            await(vertx.close());
            throw e;
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
