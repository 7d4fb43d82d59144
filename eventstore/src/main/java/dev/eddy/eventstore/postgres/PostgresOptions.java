package dev.eddy.eventstore.postgres;

import io.vertx.pgclient.PgConnectOptions;

import java.util.Objects;

/**
 * How to reach the PostgreSQL database that holds the store. Immutable.
 *
 * @param url      {@code postgresql://user:password@host:port/database} (also {@code postgres://})
 * @param poolSize connections in the pool; appends to different logs use different connections in parallel
 */
public record PostgresOptions(String url, int poolSize) {

    /** Connections in the pool when none is given. */
    public static final int DEFAULT_POOL_SIZE = 8;

    public PostgresOptions {
        Objects.requireNonNull(url, "url");
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be >= 1, got " + poolSize);
        }
        connectOptions(url); // fail early on a malformed URL
    }

    /** The URL with the default pool size. */
    public static PostgresOptions of(String url) {
        return new PostgresOptions(url, DEFAULT_POOL_SIZE);
    }

    /** The client's connect options: prepared statements cached, commands pipelined. */
    PgConnectOptions connectOptions() {
        return connectOptions(url);
    }

    private static PgConnectOptions connectOptions(String url) {
        PgConnectOptions options;
        try {
            options = PgConnectOptions.fromUri(url);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a PostgreSQL URL (postgresql://user:password@host:port/database): "
                    + redact(url), e);
        }
        return options.setCachePreparedStatements(true)
                .setPreparedStatementCacheMaxSize(64)
                .setPipeliningLimit(64);
    }

    /** The URL without its password, for messages. */
    static String redact(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@");
    }

    @Override
    public String toString() {
        return "PostgresOptions[url=" + redact(url) + ", poolSize=" + poolSize + "]";
    }
}
