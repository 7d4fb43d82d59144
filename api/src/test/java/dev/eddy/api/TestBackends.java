package dev.eddy.api;

import dev.eddy.eventstore.postgres.PostgresTestServer;

import java.nio.file.Path;

/**
 * The storage backend of the in-process servers the wire tests start, from system property
 * {@code eddy.test.storage}: {@code memory} (default), {@code mapdb} or {@code postgres} (a real PostgreSQL
 * server, see {@link PostgresTestServer}). The build runs the wire suites once per backend.
 */
public final class TestBackends {

    private TestBackends() {
    }

    /**
     * Server heap the backend may use for data written while a test runs, beyond what subscribers hold: the
     * memory backend keeps the records themselves; MapDB holds a batch only until its log entry is written (then
     * its place until the next checkpoint), so 64 MiB is a generous bound for what is in flight; PostgreSQL
     * nothing.
     */
    public static long storedDataAllowance(long producedBytes) {
        return switch (storage()) {
            case "memory" -> producedBytes * 3 / 2;
            case "mapdb" -> 64L * 1024 * 1024;
            default -> 0;
        };
    }

    public static String storage() {
        return System.getProperty("eddy.test.storage", "memory");
    }

    /** The config with this run's backend: a fresh data directory or a fresh database for each server. */
    public static EddyConfig apply(EddyConfig config, Path freshDataDir) {
        return switch (storage()) {
            case "memory" -> config.withStorage("memory");
            case "mapdb" -> config.withStorage("mapdb").withDataDir(freshDataDir);
            case "postgres" -> config.withStorage("postgres").withPostgres(PostgresTestServer.createDatabase(), 4);
            default -> throw new IllegalArgumentException("eddy.test.storage must be memory, mapdb or postgres, was "
                    + storage());
        };
    }
}
