package dev.eddy.eventstore.postgres;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, one per JVM, started on first use and stopped at JVM exit. Thread-safe.
 *
 * <p>Where it comes from, in order: the URL in {@code EDDY_TEST_PG_URL}; a Testcontainers {@code postgres:16}
 * container when a Docker engine answers; the PostgreSQL binaries under {@code /usr/lib/postgresql/<v>/bin}
 * (15 preferred), initialised in a temporary directory and run as the {@code postgres} OS user when the JVM runs
 * as root. When none is possible it fails loudly: PostgreSQL tests are never skipped silently.
 *
 * <p>Outage tests: when the server is this JVM's own binaries-started process ({@link #canRestart()}),
 * {@link #stop()} shuts it down and {@link #start()} brings it back on the same port with the same data.
 */
public final class PostgresTestServer {

    /** Environment variable naming an external server, {@code postgresql://user:password@host:port/database}. */
    public static final String URL_ENV = "EDDY_TEST_PG_URL";

    private static final String SUPERUSER = "eddy";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static String url;
    private static String source;
    /** The binaries-started server, or null for an external URL or a container. */
    private static Binaries binaries;

    /** What it takes to stop and start the binaries-started server again. */
    private record Binaries(Path bin, boolean root, Path dir, Path data, int port) {
    }

    private PostgresTestServer() {
    }

    /** The admin URL of the shared server, starting it on first call. */
    public static synchronized String url() {
        if (url == null) {
            url = startServer();
        }
        return url;
    }

    /** Which of the three ways the server came from: {@code env}, {@code testcontainers} or {@code binaries}. */
    public static synchronized String source() {
        url();
        return source;
    }

    /**
     * Whether {@link #stop()} and {@link #start()} work: only for a server this JVM started from the PostgreSQL
     * binaries (not for {@code EDDY_TEST_PG_URL}, which is someone else's server, nor for a container).
     */
    public static synchronized boolean canRestart() {
        url();
        return binaries != null;
    }

    /**
     * Stops the server ({@code pg_ctl -m fast stop}: open connections are terminated, committed data is kept)
     * and waits until it is down. The URL stays valid for {@link #start()}.
     */
    public static synchronized void stop() {
        pgCtlStop("fast");
    }

    /**
     * Stops the server the way a crash would ({@code pg_ctl -m immediate stop}: every process quits at once, no
     * checkpoint; the next {@link #start()} runs crash recovery from the WAL). Waits until it is down.
     */
    public static synchronized void crash() {
        pgCtlStop("immediate");
    }

    private static void pgCtlStop(String mode) {
        Binaries b = requireRestartable();
        run(asPostgres(b.root(), List.of(b.bin().resolve("pg_ctl").toString(), "-D", b.data().toString(), "-m", mode,
                "-w", "-t", "60", "stop")), b.dir());
    }

    /**
     * Starts the server stopped by {@link #stop()} again, on the same port with the same data, and waits for it;
     * does nothing when it is running.
     */
    public static synchronized void start() {
        Binaries b = requireRestartable();
        if (!Files.exists(b.data().resolve("postmaster.pid"))) {
            pgCtlStart(b);
        }
    }

    private static Binaries requireRestartable() {
        if (!canRestart()) {
            throw new IllegalStateException("the test PostgreSQL server (" + source + ") was not started by this JVM"
                    + " from the binaries, so it cannot be stopped and started");
        }
        return binaries;
    }

    /** Creates a new, empty database on the shared server and gives its URL. */
    public static String createDatabase() {
        String name = "eddy_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        admin("CREATE DATABASE " + name);
        return withDatabase(url(), name);
    }

    /** Drops a database made by {@link #createDatabase()}, closing its remaining connections. */
    public static void dropDatabase(String databaseUrl) {
        String name = PgConnectOptions.fromUri(databaseUrl).getDatabase();
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    /** Runs one statement on the server's maintenance database and waits for it. */
    public static void admin(String sql) {
        Vertx vertx = Vertx.vertx();
        try {
            Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
                    .connectingTo(PgConnectOptions.fromUri(url())).using(vertx).build();
            pool.query(sql).execute().eventually(pool::close)
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL test server: '" + sql + "' failed: " + e, e);
        } finally {
            await(vertx.close());
        }
    }

    private static String withDatabase(String serverUrl, String database) {
        int slash = serverUrl.indexOf('/', serverUrl.indexOf("://") + 3);
        String base = slash < 0 ? serverUrl : serverUrl.substring(0, slash);
        return base + "/" + database;
    }

    private static String startServer() {
        String external = System.getenv(URL_ENV);
        if (external != null && !external.isBlank()) {
            source = "env";
            return external;
        }
        if (dockerAvailable()) {
            source = "testcontainers";
            return startContainer();
        }
        Path bin = findBinaries();
        if (bin != null) {
            source = "binaries";
            return startBinaries(bin);
        }
        throw new IllegalStateException("No PostgreSQL for the tests: set " + URL_ENV
                + " (postgresql://user:password@host:port/database), start a Docker engine, or install the PostgreSQL"
                + " server binaries (apt-get install -y postgresql, giving /usr/lib/postgresql/<version>/bin/initdb)");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    @SuppressWarnings("resource")
    private static String startContainer() {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:16")
                .withUsername(SUPERUSER).withPassword(SUPERUSER).withDatabaseName("postgres");
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "eddy-pg-container-stop"));
        return "postgresql://" + SUPERUSER + ":" + SUPERUSER + "@" + container.getHost() + ":"
                + container.getMappedPort(5432) + "/postgres";
    }

    /** The newest usable bin directory, preferring 15. */
    private static Path findBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            List<Path> bins = versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .sorted(Comparator.comparing((Path b) -> !b.getParent().getFileName().toString().equals("15"))
                            .thenComparing(Comparator.comparing((Path b) -> b.getParent().getFileName().toString()).reversed()))
                    .toList();
            return bins.isEmpty() ? null : bins.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String startBinaries(Path bin) {
        try {
            boolean root = "root".equals(System.getProperty("user.name"));
            Path dir = Files.createTempDirectory("eddy-pg-");
            Path data = dir.resolve("data");
            if (root) {
                run(List.of("chown", "postgres:postgres", dir.toString()), null);
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            run(asPostgres(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER,
                    "-A", "trust", "-E", "UTF8", "--no-sync")), dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopBinaries(bin, root, dir, data), "eddy-pg-stop"));
            binaries = new Binaries(bin, root, dir, data, port);
            pgCtlStart(binaries);
            return "postgresql://" + SUPERUSER + "@127.0.0.1:" + port + "/postgres";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pgCtlStart(Binaries b) {
        run(asPostgres(b.root(), List.of(b.bin().resolve("pg_ctl").toString(), "-D", b.data().toString(), "-l",
                b.dir().resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + b.port() + " -k " + b.dir() + " -c listen_addresses=127.0.0.1 -c max_connections=300",
                "start")), b.dir());
    }

    private static void stopBinaries(Path bin, boolean root, Path dir, Path data) {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) { // not if an outage test left it stopped
                run(asPostgres(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m",
                        "immediate", "-w", "stop")), dir);
            }
        } catch (RuntimeException e) {
            System.err.println("stopping the test PostgreSQL failed: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("removing " + dir + " failed: " + e);
        }
    }

    /** PostgreSQL refuses to run as root: run its tools as the {@code postgres} OS user then. */
    private static List<String> asPostgres(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        out.addAll(command);
        return out;
    }

    private static void run(List<String> command, Path workDir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            Process p = pb.start();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("PostgreSQL test server: " + String.join(" ", command) + " failed:\n"
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(Future<?> f) {
        try {
            f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
