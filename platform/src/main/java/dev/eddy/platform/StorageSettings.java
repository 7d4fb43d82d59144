package dev.eddy.platform;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the platform keeps streams, records and metadata. Immutable.
 *
 * @param backend    {@code mapdb} (embedded, durable), {@code postgres} or {@code memory} (lost on exit)
 * @param dataDir    MapDB's data directory
 * @param pgUrl      PostgreSQL's URL ({@code postgresql://user:pass@host:port/db}), for {@code postgres}
 * @param pgPoolSize PostgreSQL connections
 */
public record StorageSettings(String backend, Path dataDir, String pgUrl, int pgPoolSize) {

    public StorageSettings {
        Objects.requireNonNull(backend, "backend");
    }

    public static StorageSettings memory() {
        return new StorageSettings("memory", null, null, 0);
    }

    public static StorageSettings mapdb(Path dataDir) {
        return new StorageSettings("mapdb", Objects.requireNonNull(dataDir, "dataDir"), null, 0);
    }

    public static StorageSettings postgres(String url, int poolSize) {
        return new StorageSettings("postgres", null, Objects.requireNonNull(url, "url"), poolSize);
    }
}
