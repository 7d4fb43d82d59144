package dev.eddy.eventstore.mapdb;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.tck.EventStoreFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** A MapDB store in a temporary directory that lives until {@link #cleanup()}. Not thread-safe. */
public final class MapDbFixture implements EventStoreFixture {

    private final Path dir;
    private final UnaryOperator<MapDbOptions> options;

    public MapDbFixture() {
        this(UnaryOperator.identity());
    }

    /** A store opened with the defaults changed by {@code options}. */
    public MapDbFixture(UnaryOperator<MapDbOptions> options) {
        this.options = options;
        try {
            dir = Files.createTempDirectory("eddy-mapdb-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    @Override
    public Future<EventStore> open(Vertx vertx) {
        return MapDbEventStore.open(vertx, options.apply(MapDbOptions.defaults(dir))).map(s -> s);
    }

    /** Copies a data directory with its subdirectories (log segments, key index), as a crash would leave it. */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    @Override
    public void cleanup() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
